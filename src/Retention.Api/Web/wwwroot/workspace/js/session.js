// Who is signed in and which actions their roles allow (the API enforces the same roles).
export const session = {
  name: '',
  roles: null,
  set(me) { this.name = me.name; this.roles = me.roles; },
  clear() { this.name = ''; this.roles = null; },
  has(role) { return this.roles?.includes(role) ?? false; },
  get canEdit() { return this.has('editor') || this.has('publisher'); },
  get canPublish() { return this.has('publisher'); },
  get canOperate() { return this.has('operator'); },
  get canImport() { return this.canEdit || this.canOperate; },
};
