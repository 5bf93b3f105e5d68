using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cronos;
using Retention.Core.Conditions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Core.Definitions;

/// <summary>
/// Reads a journey definition from JSON and validates it whole: it reports every fault it finds, each with the
/// JSON Pointer of the offending value, rather than stopping at the first.
/// </summary>
/// <param name="calendars">The business calendar ids that exist; when given, a step naming another is an error.</param>
public sealed class JourneyDefinitionReader(ITemplateChecker? templates = null, IReadOnlySet<string>? calendars = null)
{
    public const int MaxSteps = 500;

    public DefinitionReadResult Read(string json)
    {
        var root = StrictJson.Parse(json, out var malformed);
        return malformed is not null ? new DefinitionReadResult(null, [malformed]) : Read(root);
    }

    public DefinitionReadResult Read(JsonNode? root)
    {
        var errors = new List<DefinitionError>();
        var definition = new Parse(errors, templates, calendars).Journey(root);
        if (definition is not null)
        {
            new Semantics(errors).Check(definition, (JsonObject)root!);
        }
        return new DefinitionReadResult(errors.Count == 0 ? definition : null, errors);
    }

    /// <summary>Shape: types, required fields and value formats.</summary>
    private sealed class Parse(List<DefinitionError> errors, ITemplateChecker? templates, IReadOnlySet<string>? calendars)
    {
        private string? CalendarRef(JsonObject obj, string path)
        {
            var id = OptionalString(obj, path, "calendar");
            if (id is not null && calendars is not null && !calendars.Contains(id))
            {
                Error(JsonPointer.Append(path, "calendar"), $"unknown business calendar '{id}'; known: {string.Join(", ", calendars.Order(StringComparer.Ordinal))}");
            }
            return id;
        }

        private void Error(string path, string message) => errors.Add(new DefinitionError(path, message));

        public JourneyDefinition? Journey(JsonNode? root)
        {
            if (root is not JsonObject obj)
            {
                Error("", "the definition must be a JSON object");
                return null;
            }
            Unknown(obj, "", "$schema", "id", "name", "description", "version", "trigger", "entry", "exitOn", "goal", "holdoutPercent", "eventBufferWindow", "start", "steps", "templates", "clocks");
            var id = RequiredString(obj, "", "id");
            if (id is not null && !EntryPolicy.JourneyIdPattern().IsMatch(id))
            {
                Error("/id", "must be lower-case letters, digits and hyphens, starting with a letter or digit, at most 63 characters");
            }
            var holdout = OptionalNumber(obj, "", "holdoutPercent") ?? 0;
            if (holdout is < 0 or > 100)
            {
                Error("/holdoutPercent", "must be between 0 and 100");
            }
            var steps = Steps(obj);
            var definition = new JourneyDefinition
            {
                Id = id ?? "",
                Name = OptionalString(obj, "", "name") ?? id ?? "",
                Description = OptionalString(obj, "", "description") ?? "",
                Version = (int)Math.Clamp(OptionalNumber(obj, "", "version") ?? 0, 0, int.MaxValue),
                Trigger = Trigger(obj["trigger"], "/trigger") ?? new ApiTrigger(),
                Entry = Entry(obj["entry"], "/entry"),
                ExitOn = List(obj, "", "exitOn", EventRule),
                Goal = obj["goal"] is null ? null : Goal(obj["goal"], "/goal"),
                HoldoutPercent = holdout,
                EventBufferWindow = OptionalDuration(obj, "", "eventBufferWindow")?.Approximate,
                Start = RequiredString(obj, "", "start") ?? "",
                Steps = steps,
                Templates = Templates(obj["templates"], "/templates"),
                Clocks = Clocks(obj["clocks"], "/clocks"),
            };
            return definition;
        }

        private List<Step> Steps(JsonObject obj)
        {
            if (obj["steps"] is not JsonArray array)
            {
                Error("/steps", obj["steps"] is null ? "is required" : "must be an array of steps");
                return [];
            }
            if (array.Count == 0)
            {
                Error("/steps", "must have at least one step");
            }
            if (array.Count > MaxSteps)
            {
                Error("/steps", $"has {array.Count} steps; at most {MaxSteps} are allowed");
                return [];
            }
            var steps = new List<Step>();
            for (var i = 0; i < array.Count; i++)
            {
                if (Step(array[i], JsonPointer.Append("/steps", i)) is { } step)
                {
                    steps.Add(step);
                }
            }
            return steps;
        }

        private Step? Step(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "a step must be an object");
                return null;
            }
            var id = RequiredString(obj, path, "id") ?? "";
            if (id.Length > 0 && !EntryPolicy.JourneyIdPattern().IsMatch(id))
            {
                Error(JsonPointer.Append(path, "id"), "must be lower-case letters, digits and hyphens, at most 63 characters");
            }
            var type = RequiredString(obj, path, "type");
            switch (type)
            {
                case "wait":
                    Unknown(obj, path, "id", "type", "duration", "businessTime", "calendar", "until", "untilDate", "next");
                    return Wait(obj, path, id);
                case "send":
                    Unknown(obj, path, "id", "type", "channel", "template", "category", "next", "fallback", "expiresAfter");
                    var channel = Enum<MessageChannel>(obj, path, "channel", required: true) ?? MessageChannel.Sms;
                    var fallback = Enum<MessageChannel>(obj, path, "fallback", required: false);
                    if (fallback == channel)
                    {
                        Error(JsonPointer.Append(path, "fallback"), "must be the other channel");
                        fallback = null;
                    }
                    return new SendStep(id,
                        channel,
                        RequiredString(obj, path, "template") ?? "",
                        Enum<MessageCategory>(obj, path, "category", required: true) ?? MessageCategory.Service,
                        OptionalString(obj, path, "next"),
                        fallback,
                        OptionalDuration(obj, path, "expiresAfter"));
                case "waitForEvent":
                    Unknown(obj, path, "id", "type", "event", "match", "filter", "timeout", "businessTimeout", "deadline", "calendar", "capture", "onEvent", "onTimeout");
                    if (new[] { "timeout", "businessTimeout", "deadline" }.Count(k => obj[k] is not null) > 1)
                    {
                        Error(path, "give one of timeout, businessTimeout or deadline, not more");
                    }
                    var inBusinessTime = obj["businessTimeout"] is not null;
                    var timeoutKey = inBusinessTime ? "businessTimeout" : "timeout";
                    var timeout = OptionalDuration(obj, path, timeoutKey);
                    if (timeout is { IsZero: true })
                    {
                        Error(JsonPointer.Append(path, timeoutKey), "must be longer than zero");
                    }
                    if (inBusinessTime && timeout is { Years: not 0 } or { Months: not 0 } or { Days: not 0 })
                    {
                        Error(JsonPointer.Append(path, "businessTimeout"), "counts working hours: use hours and minutes, such as PT8H");
                    }
                    var timeoutCalendar = CalendarRef(obj, path);
                    return new WaitForEventStep(id,
                        RequiredString(obj, path, "event") ?? "",
                        PathMap(obj["match"], JsonPointer.Append(path, "match")),
                        OptionalCondition(obj, path, "filter"),
                        timeout,
                        PathMap(obj["capture"], JsonPointer.Append(path, "capture")),
                        OptionalString(obj, path, "onEvent"),
                        OptionalString(obj, path, "onTimeout"),
                        inBusinessTime,
                        timeoutCalendar,
                        obj["deadline"] is { } deadline ? Deadline(deadline, JsonPointer.Append(path, "deadline")) : null);
                case "clock":
                    Unknown(obj, path, "id", "type", "clock", "action", "next");
                    return new ClockStep(id,
                        RequiredString(obj, path, "clock") ?? "",
                        Enum<ClockAction>(obj, path, "action", required: true) ?? ClockAction.Start,
                        OptionalString(obj, path, "next"));
                case "branch":
                    Unknown(obj, path, "id", "type", "cases", "otherwise");
                    return new BranchStep(id, List(obj, path, "cases", (n, p) =>
                    {
                        if (n is not JsonObject c)
                        {
                            Error(p, "a case must be an object with 'when' and 'next'");
                            return null;
                        }
                        Unknown(c, p, "when", "next");
                        var when = Condition(c["when"], JsonPointer.Append(p, "when"));
                        var next = RequiredString(c, p, "next");
                        return when is null || next is null ? null : new BranchCase(when, next);
                    }, required: true), OptionalString(obj, path, "otherwise"));
                case "split":
                    Unknown(obj, path, "id", "type", "paths");
                    return new SplitStep(id, List(obj, path, "paths", (n, p) =>
                    {
                        if (n is not JsonObject c)
                        {
                            Error(p, "a path must be an object with 'percent' and 'next'");
                            return null;
                        }
                        Unknown(c, p, "percent", "next");
                        var percent = RequiredNumber(c, p, "percent");
                        if (percent is <= 0 or > 100)
                        {
                            Error(JsonPointer.Append(p, "percent"), "must be more than 0 and at most 100");
                        }
                        var next = RequiredString(c, p, "next");
                        return percent is null || next is null ? null : new SplitPath(percent.Value, next);
                    }, required: true));
                case "task":
                    Unknown(obj, path, "id", "type", "kind", "title", "assignee", "due", "dueBusinessDays", "next");
                    var businessDays = OptionalNumber(obj, path, "dueBusinessDays");
                    if (businessDays is not null && (businessDays is < 1 or > 60 || businessDays != Math.Floor(businessDays.Value)))
                    {
                        Error(JsonPointer.Append(path, "dueBusinessDays"), "must be a whole number of working days from 1 to 60");
                    }
                    if (businessDays is not null && obj["due"] is not null)
                    {
                        Error(path, "give either due or dueBusinessDays, not both");
                    }
                    return new TaskStep(id,
                        RequiredString(obj, path, "kind") ?? "",
                        RequiredString(obj, path, "title") ?? "",
                        Assignee(obj["assignee"], JsonPointer.Append(path, "assignee")),
                        (businessDays is null ? RequiredDuration(obj, path, "due") : null) ?? JourneyDuration.Zero,
                        OptionalString(obj, path, "next"),
                        businessDays is null ? null : (int)businessDays.Value);
                case "update":
                    Unknown(obj, path, "id", "type", "set", "add", "addTags", "removeTags", "next");
                    var set = ValueMap(obj, path, "set");
                    var sums = ValueMap(obj, path, "add");
                    foreach (var (name, source) in sums.Where(kv => kv.Value.Literal is not null && !JsonNumbers.TryGetDecimal(kv.Value.Literal, out _)))
                    {
                        Error(JsonPointer.Append(JsonPointer.Append(path, "add"), name), "must be a number or a {\"path\": …} to one");
                    }
                    var add = StringList(obj, path, "addTags");
                    var remove = StringList(obj, path, "removeTags");
                    if (set.Count == 0 && sums.Count == 0 && add.Count == 0 && remove.Count == 0)
                    {
                        Error(path, "an update step must set or add to an attribute, or change a tag");
                    }
                    return new UpdateStep(id, set, add, remove, OptionalString(obj, path, "next"), sums);
                case "emit":
                    Unknown(obj, path, "id", "type", "event", "customer", "data", "next");
                    var emitted = RequiredString(obj, path, "event");
                    if (emitted is not null && !CloudEventReader.IsCustomType(emitted))
                    {
                        Error(JsonPointer.Append(path, "event"), "must be a custom event type such as referral.paid (lower-case, dotted) that core systems do not send");
                    }
                    return new EmitStep(id, emitted ?? "", ValuePath(obj, path, "customer") ?? "", ValueMap(obj, path, "data"), OptionalString(obj, path, "next"));
                case "exit":
                    Unknown(obj, path, "id", "type", "outcome");
                    return new ExitStep(id, OptionalString(obj, path, "outcome") ?? "completed");
                case null:
                    return null;
                default:
                    Error(JsonPointer.Append(path, "type"), $"unknown step type '{type}'; expected wait, send, waitForEvent, clock, branch, split, task, update, emit or exit");
                    return null;
            }
        }

        private WaitStep? Wait(JsonObject obj, string path, string id)
        {
            var next = OptionalString(obj, path, "next");
            var forms = new[] { "duration", "businessTime", "until", "untilDate" }.Where(f => obj[f] is not null).ToList();
            if (forms.Count != 1)
            {
                Error(path, "a wait step needs exactly one of 'duration', 'businessTime', 'until' or 'untilDate'");
                return null;
            }
            if (forms[0] != "businessTime" && obj["calendar"] is not null)
            {
                Error(JsonPointer.Append(path, "calendar"), "applies only to businessTime waits");
            }
            switch (forms[0])
            {
                case "businessTime":
                    var business = RequiredDuration(obj, path, "businessTime");
                    if (business is { IsZero: true })
                    {
                        Error(JsonPointer.Append(path, "businessTime"), "must be longer than zero");
                    }
                    if (business is { Years: not 0 } or { Months: not 0 } or { Days: not 0 })
                    {
                        Error(JsonPointer.Append(path, "businessTime"), "counts working hours: use hours and minutes, such as PT4H (a working day is as long as its calendar says)");
                    }
                    return new WaitStep(id, new WaitBusinessTime(business ?? JourneyDuration.Zero, CalendarRef(obj, path)), next);
                case "duration":
                    var duration = RequiredDuration(obj, path, "duration");
                    if (duration is { IsZero: true })
                    {
                        Error(JsonPointer.Append(path, "duration"), "must be longer than zero");
                    }
                    // A bad duration is reported above; the step stays in, so its references are still checked.
                    return new WaitStep(id, new WaitDuration(duration ?? JourneyDuration.Zero), next);
                case "until":
                    var untilPath = JsonPointer.Append(path, "until");
                    if (obj["until"] is not JsonObject until)
                    {
                        Error(untilPath, "must be an object such as {\"time\": \"10:00\", \"daysLater\": 1}");
                        return null;
                    }
                    Unknown(until, untilPath, "time", "daysLater");
                    var at = RequiredTime(until, untilPath, "time");
                    var daysLater = OptionalNumber(until, untilPath, "daysLater") ?? 0;
                    if (daysLater is < 0 or > 3660 || daysLater != decimal.Truncate(daysLater))
                    {
                        Error(JsonPointer.Append(untilPath, "daysLater"), "must be a whole number of days between 0 and 3660");
                        daysLater = 0;
                    }
                    var days = (int)daysLater;
                    return at is null ? null : new WaitStep(id, new WaitTimeOfDay(at.Value, days), next);
                default:
                    var datePath = JsonPointer.Append(path, "untilDate");
                    if (obj["untilDate"] is not JsonObject date)
                    {
                        Error(datePath, "must be an object such as {\"path\": \"customer.birthday\", \"yearly\": true, \"time\": \"09:00\"}");
                        return null;
                    }
                    Unknown(date, datePath, "path", "offset", "time", "yearly");
                    var valuePath = ValuePath(date, datePath, "path");
                    var time = date["time"] is null ? TimeOnly.MinValue : RequiredTime(date, datePath, "time");
                    var offset = OptionalDuration(date, datePath, "offset") ?? JourneyDuration.Zero;
                    var yearly = OptionalBool(date, datePath, "yearly") ?? false;
                    return valuePath is null || time is null ? null : new WaitStep(id, new WaitDate(valuePath, offset, time.Value, yearly), next);
            }
        }

        private JourneyTrigger? Trigger(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, node is null ? "is required" : "must be an object");
                return null;
            }
            var type = RequiredString(obj, path, "type");
            switch (type)
            {
                case "event":
                    Unknown(obj, path, "type", "event", "filter");
                    return new EventTrigger(RequiredString(obj, path, "event") ?? "", OptionalCondition(obj, path, "filter"));
                case "schedule":
                    Unknown(obj, path, "type", "cron", "timeZone", "customers", "dates");
                    var cron = RequiredString(obj, path, "cron");
                    if (cron is not null && !IsCron(cron))
                    {
                        Error(JsonPointer.Append(path, "cron"), $"'{cron}' is not a cron expression (5 fields, or 6 with seconds)");
                    }
                    var zone = OptionalString(obj, path, "timeZone") ?? "UTC";
                    if (!LocalClock.IsKnownZone(zone))
                    {
                        Error(JsonPointer.Append(path, "timeZone"), $"'{zone}' is not an IANA time zone");
                    }
                    var dates = new Dictionary<DateOnly, string>();
                    if (obj["dates"] is JsonObject byDate)
                    {
                        foreach (var (text, occasion) in byDate)
                        {
                            var datePath = JsonPointer.Append(JsonPointer.Append(path, "dates"), text);
                            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                            {
                                Error(datePath, $"'{text}' is not a date (YYYY-MM-DD)");
                            }
                            else if (occasion is not JsonValue v || !v.TryGetValue<string>(out var name) || !EntryPolicy.JourneyIdPattern().IsMatch(name))
                            {
                                Error(datePath, "must name the occasion in lower-case letters, digits and hyphens, such as spring-festival");
                            }
                            else
                            {
                                dates[date] = name;
                            }
                        }
                    }
                    else if (obj["dates"] is not null)
                    {
                        Error(JsonPointer.Append(path, "dates"), "must be an object of dates (YYYY-MM-DD) to occasion names");
                    }
                    return new ScheduleTrigger(cron ?? "", zone, OptionalCondition(obj, path, "customers")) { Dates = dates };
                case "api":
                    Unknown(obj, path, "type");
                    return new ApiTrigger();
                case null:
                    return null;
                default:
                    Error(JsonPointer.Append(path, "type"), $"unknown trigger type '{type}'; expected event, schedule or api");
                    return null;
            }
        }

        private static bool IsCron(string text)
        {
            try
            {
                CronExpression.Parse(text, text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
                return true;
            }
            catch (CronFormatException)
            {
                return false;
            }
        }

        private EntryRule Entry(JsonNode? node, string path)
        {
            if (node is null)
            {
                return new EntryRule(ReEntryPolicy.Always, null, null);
            }
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object");
                return new EntryRule(ReEntryPolicy.Always, null, null);
            }
            Unknown(obj, path, "policy", "key", "cooldown");
            var policy = Enum<ReEntryPolicy>(obj, path, "policy", required: true) ?? ReEntryPolicy.Always;
            var key = obj["key"] is null ? null : ValuePath(obj, path, "key");
            var cooldown = OptionalDuration(obj, path, "cooldown");
            if (policy == ReEntryPolicy.OncePerKey && obj["key"] is null)
            {
                Error(JsonPointer.Append(path, "key"), "is required for the oncePerKey policy, e.g. \"trigger.data.saleId\"");
            }
            if (policy == ReEntryPolicy.Cooldown && cooldown is null && obj["cooldown"] is null)
            {
                Error(JsonPointer.Append(path, "cooldown"), "is required for the cooldown policy, e.g. \"P90D\"");
            }
            return new EntryRule(policy, key, cooldown);
        }

        private EventRule? EventRule(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object such as {\"event\": \"sale.refunded\", \"match\": {\"saleId\": \"trigger.data.saleId\"}}");
                return null;
            }
            Unknown(obj, path, "event", "match", "filter");
            var type = RequiredString(obj, path, "event");
            return type is null ? null : new EventRule(type, PathMap(obj["match"], JsonPointer.Append(path, "match")), OptionalCondition(obj, path, "filter"));
        }

        private Dictionary<string, ClockDefinition> Clocks(JsonNode? node, string path)
        {
            var clocks = new Dictionary<string, ClockDefinition>(StringComparer.Ordinal);
            if (node is null)
            {
                return clocks;
            }
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object of clock names to clocks");
                return clocks;
            }
            foreach (var (name, value) in obj)
            {
                var clockPath = JsonPointer.Append(path, name);
                if (!EntryPolicy.JourneyIdPattern().IsMatch(name))
                {
                    Error(clockPath, "a clock name must be lower-case letters, digits and hyphens");
                }
                if (value is not JsonObject clock)
                {
                    Error(clockPath, "must be an object such as {\"target\": \"PT8H\", \"pauseOn\": […], \"resumeOn\": […]}");
                    continue;
                }
                Unknown(clock, clockPath, "target", "calendar", "pauseOn", "resumeOn");
                if (ClockTargetOf(clock["target"], JsonPointer.Append(clockPath, "target")) is { } target)
                {
                    clocks[name] = new ClockDefinition(name, target, CalendarRef(clock, clockPath),
                        List(clock, clockPath, "pauseOn", EventRule), List(clock, clockPath, "resumeOn", EventRule));
                }
            }
            return clocks;
        }

        private ClockTarget? ClockTargetOf(JsonNode? node, string path)
        {
            switch (node)
            {
                case null:
                    Error(path, "is required: a working-time duration such as \"PT8H\", or {\"path\": …, \"cases\": {…}, \"default\": …}");
                    return null;
                case JsonValue:
                    return WorkingTime(node, path) is { } fixedTarget ? ClockTarget.Fixed(fixedTarget) : null;
                case JsonObject obj:
                    Unknown(obj, path, "path", "cases", "default");
                    var valuePath = ValuePath(obj, path, "path");
                    var cases = new Dictionary<string, JourneyDuration>(StringComparer.Ordinal);
                    if (obj["cases"] is JsonObject byValue)
                    {
                        foreach (var (value, duration) in byValue)
                        {
                            if (WorkingTime(duration, JsonPointer.Append(JsonPointer.Append(path, "cases"), value)) is { } target)
                            {
                                cases[value] = target;
                            }
                        }
                    }
                    else
                    {
                        Error(JsonPointer.Append(path, "cases"), "is required: an object of values to working-time durations");
                    }
                    var fallback = obj["default"] is { } d ? WorkingTime(d, JsonPointer.Append(path, "default")) : null;
                    return new ClockTarget(valuePath, cases, fallback);
                default:
                    Error(path, "must be a duration or an object with path, cases and default");
                    return null;
            }
        }

        /// <summary>A clock counts working hours, so its durations have hours and minutes only.</summary>
        private JourneyDuration? WorkingTime(JsonNode? node, string path)
        {
            if (node is not JsonValue value || !value.TryGetValue<string>(out var text) || !JourneyDuration.TryParse(text, out var duration))
            {
                Error(path, "must be an ISO 8601 duration of working time such as PT8H");
                return null;
            }
            if (duration is { Years: not 0 } or { Months: not 0 } or { Days: not 0 } || duration.IsZero)
            {
                Error(path, "counts working hours: use hours and minutes longer than zero, such as PT8H");
                return null;
            }
            return duration;
        }

        private ClockDeadline? Deadline(JsonNode node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object such as {\"clock\": \"resolution\", \"percent\": 75}");
                return null;
            }
            Unknown(obj, path, "clock", "percent");
            var clock = RequiredString(obj, path, "clock");
            var percent = OptionalNumber(obj, path, "percent") ?? 100;
            if (percent is <= 0 or > 1000)
            {
                Error(JsonPointer.Append(path, "percent"), "must be more than 0 and at most 1000 (percent of the clock's target)");
            }
            return clock is null ? null : new ClockDeadline(clock, percent);
        }

        private GoalRule? Goal(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object such as {\"event\": \"transaction.posted\", \"within\": \"P30D\"}");
                return null;
            }
            Unknown(obj, path, "event", "within", "filter", "exit");
            var type = RequiredString(obj, path, "event");
            var within = RequiredDuration(obj, path, "within");
            return type is null || within is null ? null : new GoalRule(type, within.Value, OptionalCondition(obj, path, "filter"), OptionalBool(obj, path, "exit") ?? true);
        }

        private TaskAssignee Assignee(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "is required: {\"owner\": true} for the account manager, {\"role\": \"supervisor\"}, or {\"path\": \"trigger.data.ownerId\"}");
                return new TaskAssignee(true, null);
            }
            Unknown(obj, path, "owner", "role", "path");
            var owner = OptionalBool(obj, path, "owner") ?? false;
            var role = OptionalString(obj, path, "role");
            var valuePath = obj["path"] is null ? null : ValuePath(obj, path, "path");
            if (!owner && role is null && valuePath is null)
            {
                Error(path, "needs a \"path\", \"owner\": true or a \"role\"");
            }
            return new TaskAssignee(owner, role, valuePath);
        }

        private Dictionary<string, MessageTemplate> Templates(JsonNode? node, string path)
        {
            var result = new Dictionary<string, MessageTemplate>(StringComparer.Ordinal);
            if (node is null)
            {
                return result;
            }
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object of template names");
                return result;
            }
            foreach (var (name, value) in obj)
            {
                var tpath = JsonPointer.Append(path, name);
                if (value is not JsonObject t)
                {
                    Error(tpath, "a template must be an object with 'sms' and/or 'email' by locale");
                    continue;
                }
                Unknown(t, tpath, "sms", "email");
                var sms = new Dictionary<string, string>(StringComparer.Ordinal);
                if (t["sms"] is JsonObject smsObj)
                {
                    foreach (var (locale, text) in smsObj)
                    {
                        var p = JsonPointer.Append(JsonPointer.Append(tpath, "sms"), locale);
                        if (text is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
                        {
                            CheckTemplate(p, s);
                            sms[locale] = s;
                        }
                        else
                        {
                            Error(p, "must be the message text");
                        }
                    }
                }
                else if (t["sms"] is not null)
                {
                    Error(JsonPointer.Append(tpath, "sms"), "must be an object of locale to text, e.g. {\"en\": \"…\", \"zh-CN\": \"…\"}");
                }
                var email = new Dictionary<string, EmailContent>(StringComparer.Ordinal);
                if (t["email"] is JsonObject emailObj)
                {
                    foreach (var (locale, content) in emailObj)
                    {
                        var p = JsonPointer.Append(JsonPointer.Append(tpath, "email"), locale);
                        if (content is not JsonObject c)
                        {
                            Error(p, "must be an object with subject, text and optional html");
                            continue;
                        }
                        Unknown(c, p, "subject", "text", "html");
                        var subject = RequiredString(c, p, "subject");
                        var text = RequiredString(c, p, "text");
                        var html = OptionalString(c, p, "html");
                        foreach (var (field, part) in new[] { ("subject", subject), ("text", text), ("html", html) })
                        {
                            if (part is not null)
                            {
                                CheckTemplate(JsonPointer.Append(p, field), part);
                            }
                        }
                        if (subject is not null && text is not null)
                        {
                            email[locale] = new EmailContent(subject, text, html);
                        }
                    }
                }
                else if (t["email"] is not null)
                {
                    Error(JsonPointer.Append(tpath, "email"), "must be an object of locale to {subject, text, html}");
                }
                result[name] = new MessageTemplate(sms, email);
            }
            return result;
        }

        private void CheckTemplate(string path, string text)
        {
            if (templates?.Check(text) is { } problem)
            {
                Error(path, problem);
            }
        }

        public Condition? Condition(JsonNode? node, string path)
        {
            if (node is not JsonObject obj)
            {
                Error(path, "a condition must be an object: {\"path\": …, \"op\": …, \"value\": …}, {\"all\": […]}, {\"any\": […]} or {\"not\": …}");
                return null;
            }
            if (obj["all"] is not null || obj["any"] is not null)
            {
                var key = obj["all"] is not null ? "all" : "any";
                Unknown(obj, path, key);
                var parts = List(obj, path, key, Condition, required: true);
                return key == "all" ? new AllCondition(parts) : new AnyCondition(parts);
            }
            if (obj["not"] is not null)
            {
                Unknown(obj, path, "not");
                var inner = Condition(obj["not"], JsonPointer.Append(path, "not"));
                return inner is null ? null : new NotCondition(inner);
            }
            Unknown(obj, path, "path", "op", "value", "valuePath");
            var valuePath = ValuePath(obj, path, "path");
            var op = Enum<ComparisonOperator>(obj, path, "op", required: true);
            var value = obj["value"]?.DeepClone();
            var otherPath = obj["valuePath"] is null ? null : ValuePath(obj, path, "valuePath");
            if (obj["value"] is not null && obj["valuePath"] is not null)
            {
                Error(path, "give either value or valuePath, not both");
            }
            else if (obj["valuePath"] is not null && op is ComparisonOperator.In or ComparisonOperator.NotIn or ComparisonOperator.Exists)
            {
                Error(JsonPointer.Append(path, "valuePath"), $"cannot be used with '{Camel(op.Value.ToString())}'");
            }
            else if (obj["valuePath"] is null && op is ComparisonOperator.In or ComparisonOperator.NotIn && value is not JsonArray)
            {
                Error(JsonPointer.Append(path, "value"), $"must be an array for '{Camel(op.Value.ToString())}'");
            }
            else if (op is not (ComparisonOperator.Exists or null) && obj["value"] is null && obj["valuePath"] is null)
            {
                Error(JsonPointer.Append(path, "value"), "is required");
            }
            return valuePath is null || op is null ? null : new Comparison(valuePath, op.Value, value, otherPath);
        }

        private Condition? OptionalCondition(JsonObject obj, string path, string key) =>
            obj[key] is null ? null : Condition(obj[key], JsonPointer.Append(path, key));

        private Dictionary<string, string> PathMap(JsonNode? node, string path)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null)
            {
                return result;
            }
            if (node is not JsonObject obj)
            {
                Error(path, "must be an object of names to value paths, e.g. {\"complaintId\": \"trigger.data.complaintId\"}");
                return result;
            }
            foreach (var (name, _) in obj)
            {
                if (ValuePath(obj, path, name) is { } valuePath)
                {
                    result[name] = valuePath;
                }
            }
            return result;
        }

        private Dictionary<string, ValueSource> ValueMap(JsonObject obj, string path, string key)
        {
            var map = new Dictionary<string, ValueSource>(StringComparer.Ordinal);
            if (obj[key] is JsonObject values)
            {
                foreach (var (name, value) in values)
                {
                    map[name] = ValueSourceOf(value, JsonPointer.Append(JsonPointer.Append(path, key), name));
                }
            }
            else if (obj[key] is not null)
            {
                Error(JsonPointer.Append(path, key), "must be an object of names to values");
            }
            return map;
        }

        private ValueSource ValueSourceOf(JsonNode? node, string path)
        {
            if (node is JsonObject obj && obj.ContainsKey("path"))
            {
                Unknown(obj, path, "path");
                return new ValueSource(ValuePath(obj, path, "path"), null);
            }
            return new ValueSource(null, node?.DeepClone());
        }

        private string? ValuePath(JsonObject obj, string path, string key)
        {
            var text = RequiredString(obj, path, key);
            if (text is not null && !ValueScope.IsValidPath(text))
            {
                Error(JsonPointer.Append(path, key), $"'{text}' is not a value path; it must start with customer., trigger., event., context. or journey.");
                return null;
            }
            return text;
        }

        private List<T> List<T>(JsonObject obj, string path, string key, Func<JsonNode?, string, T?> item, bool required = false) where T : class
        {
            var listPath = JsonPointer.Append(path, key);
            if (obj[key] is not JsonArray array)
            {
                if (obj[key] is not null || required)
                {
                    Error(listPath, obj[key] is null ? "is required" : "must be an array");
                }
                return [];
            }
            if (required && array.Count == 0)
            {
                Error(listPath, "must not be empty");
            }
            var result = new List<T>();
            for (var i = 0; i < array.Count; i++)
            {
                if (item(array[i], JsonPointer.Append(listPath, i)) is { } value)
                {
                    result.Add(value);
                }
            }
            return result;
        }

        private List<string> StringList(JsonObject obj, string path, string key) =>
            List(obj, path, key, (n, p) =>
            {
                if (n is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
                {
                    return s;
                }
                Error(p, "must be a non-empty string");
                return null;
            });

        private void Unknown(JsonObject obj, string path, params string[] known)
        {
            foreach (var (key, _) in obj)
            {
                if (!known.Contains(key))
                {
                    Error(JsonPointer.Append(path, key), $"unknown property; expected one of {string.Join(", ", known)}");
                }
            }
        }

        private string? RequiredString(JsonObject obj, string path, string key)
        {
            if (obj[key] is null)
            {
                Error(JsonPointer.Append(path, key), "is required");
                return null;
            }
            return OptionalString(obj, path, key);
        }

        private string? OptionalString(JsonObject obj, string path, string key)
        {
            var node = obj[key];
            if (node is null)
            {
                return null;
            }
            if (node is JsonValue v && v.TryGetValue<string>(out var s))
            {
                if (s.Length == 0)
                {
                    Error(JsonPointer.Append(path, key), "must not be empty");
                    return null;
                }
                if (s.Length > 10_000)
                {
                    Error(JsonPointer.Append(path, key), "is longer than 10000 characters");
                    return null;
                }
                return s;
            }
            Error(JsonPointer.Append(path, key), "must be a string");
            return null;
        }

        private decimal? RequiredNumber(JsonObject obj, string path, string key)
        {
            if (obj[key] is null)
            {
                Error(JsonPointer.Append(path, key), "is required");
                return null;
            }
            return OptionalNumber(obj, path, key);
        }

        private decimal? OptionalNumber(JsonObject obj, string path, string key)
        {
            var node = obj[key];
            if (node is null)
            {
                return null;
            }
            if (JsonNumbers.TryGetDecimal(node, out var d) && Math.Abs(d) <= 1_000_000_000m)
            {
                return d;
            }
            Error(JsonPointer.Append(path, key), "must be a number between -10^9 and 10^9");
            return null;
        }

        private bool? OptionalBool(JsonObject obj, string path, string key)
        {
            var node = obj[key];
            if (node is null)
            {
                return null;
            }
            if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                return v.GetValue<bool>();
            }
            Error(JsonPointer.Append(path, key), "must be true or false");
            return null;
        }

        private JourneyDuration? RequiredDuration(JsonObject obj, string path, string key)
        {
            if (obj[key] is null)
            {
                Error(JsonPointer.Append(path, key), "is required");
                return null;
            }
            return OptionalDuration(obj, path, key);
        }

        private JourneyDuration? OptionalDuration(JsonObject obj, string path, string key)
        {
            var text = OptionalString(obj, path, key);
            if (text is null)
            {
                return null;
            }
            if (!JourneyDuration.TryParse(text, out var duration))
            {
                Error(JsonPointer.Append(path, key), $"'{text}' is not an ISO 8601 duration of at most 10 years, such as PT30S, PT4H, P7D or P1Y");
                return null;
            }
            return duration;
        }

        private TimeOnly? RequiredTime(JsonObject obj, string path, string key)
        {
            var text = RequiredString(obj, path, key);
            if (text is null)
            {
                return null;
            }
            if (TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                return time;
            }
            Error(JsonPointer.Append(path, key), $"'{text}' is not a time of day such as 10:00");
            return null;
        }

        private TEnum? Enum<TEnum>(JsonObject obj, string path, string key, bool required) where TEnum : struct, Enum
        {
            var text = required ? RequiredString(obj, path, key) : OptionalString(obj, path, key);
            if (text is null)
            {
                return null;
            }
            var names = System.Enum.GetNames<TEnum>().Select(Camel).ToList();
            if (names.Contains(text, StringComparer.Ordinal))
            {
                return System.Enum.Parse<TEnum>(text, ignoreCase: true);
            }
            Error(JsonPointer.Append(path, key), $"'{text}' is not one of {string.Join(", ", names)}");
            return null;
        }

        internal static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>Meaning: references, reachability, templates and loops that never wait.</summary>
    private sealed class Semantics(List<DefinitionError> errors)
    {
        private void Error(string path, string message) => errors.Add(new DefinitionError(path, message));

        public void Check(JourneyDefinition journey, JsonObject root)
        {
            var stepsJson = root["steps"] as JsonArray ?? [];
            var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < stepsJson.Count; i++)
            {
                if (stepsJson[i] is JsonObject s && s["id"] is JsonValue v && v.TryGetValue<string>(out var id))
                {
                    if (!indexOf.TryAdd(id, i))
                    {
                        Error(JsonPointer.Append(JsonPointer.Append("/steps", i), "id"), $"duplicate step id '{id}' (first at /steps/{indexOf[id]})");
                    }
                }
            }
            string StepPath(string id) => indexOf.TryGetValue(id, out var i) ? JsonPointer.Append("/steps", i) : "/steps";

            if (journey.Start.Length > 0 && !indexOf.ContainsKey(journey.Start))
            {
                Error("/start", $"unknown step '{journey.Start}'");
            }
            foreach (var step in journey.Steps)
            {
                foreach (var (field, target) in References(step))
                {
                    if (!indexOf.ContainsKey(target))
                    {
                        Error(StepPath(step.Id) + field, $"unknown step '{target}'");
                    }
                }
                switch (step)
                {
                    case SendStep send:
                        if (!journey.Templates.TryGetValue(send.Template, out var template))
                        {
                            Error(StepPath(step.Id) + "/template", $"no template named '{send.Template}' in /templates");
                        }
                        else
                        {
                            foreach (var channel in send.Fallback is { } other ? new[] { send.Channel, other } : [send.Channel])
                            {
                                if (channel == MessageChannel.Sms ? template.Sms.Count == 0 : template.Email.Count == 0)
                                {
                                    Error(StepPath(step.Id) + "/template", $"template '{send.Template}' has no {(channel == MessageChannel.Sms ? "sms" : "email")} content");
                                }
                            }
                        }
                        break;
                    case ClockStep clock when !journey.Clocks.ContainsKey(clock.Clock):
                        Error(StepPath(step.Id) + "/clock", UnknownClock(journey, clock.Clock));
                        break;
                    case WaitForEventStep { Deadline: { } deadline } when !journey.Clocks.ContainsKey(deadline.Clock):
                        Error(StepPath(step.Id) + "/deadline/clock", UnknownClock(journey, deadline.Clock));
                        break;
                    case WaitForEventStep { Deadline: not null, OnTimeout: null }:
                        Error(StepPath(step.Id) + "/onTimeout", "is required with a deadline: the step the clock threshold leads to");
                        break;
                    case SplitStep split when split.Paths.Count > 0 && split.Paths.Sum(p => p.Percent) != 100:
                        Error(StepPath(step.Id) + "/paths", $"percentages add up to {split.Paths.Sum(p => p.Percent)}; they must add up to 100");
                        break;
                }
            }
            if (journey.Entry.Policy == ReEntryPolicy.OncePerKey && journey.Entry.Key is { } key && !key.StartsWith("trigger.", StringComparison.Ordinal))
            {
                Error("/entry/key", "must be a trigger value such as trigger.data.saleId");
            }
            Reachability(journey, StepPath);
            LoopsWithoutWait(journey, StepPath);
        }

        private static string UnknownClock(JourneyDefinition journey, string name) =>
            $"no clock named '{name}' in /clocks" + (journey.Clocks.Count > 0 ? $"; defined: {string.Join(", ", journey.Clocks.Keys.Order(StringComparer.Ordinal))}" : "");

        private static IEnumerable<(string Field, string Target)> References(Step step) => step switch
        {
            WaitStep w => Maybe("/next", w.Next),
            SendStep s => Maybe("/next", s.Next),
            WaitForEventStep e => Maybe("/onEvent", e.OnEvent).Concat(Maybe("/onTimeout", e.OnTimeout)),
            ClockStep c => Maybe("/next", c.Next),
            BranchStep b => b.Cases.Select((c, i) => ($"/cases/{i}/next", c.Next)).Concat(Maybe("/otherwise", b.Otherwise)),
            SplitStep s => s.Paths.Select((p, i) => ($"/paths/{i}/next", p.Next)),
            TaskStep t => Maybe("/next", t.Next),
            UpdateStep u => Maybe("/next", u.Next),
            EmitStep e => Maybe("/next", e.Next),
            ExitStep => [],
            _ => throw new InvalidOperationException($"Unhandled step type {step.GetType().Name}."),
        };

        private static IEnumerable<(string, string)> Maybe(string field, string? target) => target is null ? [] : [(field, target)];

        private void Reachability(JourneyDefinition journey, Func<string, string> stepPath)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>();
            pending.Push(journey.Start);
            while (pending.TryPop(out var id))
            {
                if (seen.Add(id) && journey.FindStep(id) is { } step)
                {
                    foreach (var next in step.Successors)
                    {
                        pending.Push(next);
                    }
                }
            }
            foreach (var step in journey.Steps.Where(s => !seen.Contains(s.Id)))
            {
                Error(stepPath(step.Id), $"step '{step.Id}' is unreachable from the start step");
            }
        }

        /// <summary>A cycle must pass through a wait, or one input could run it for ever.</summary>
        private void LoopsWithoutWait(JourneyDefinition journey, Func<string, string> stepPath)
        {
            var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
            var reported = new HashSet<string>(StringComparer.Ordinal);
            bool Waits(Step s) => s is WaitStep or WaitForEventStep;
            void Visit(Step step)
            {
                state[step.Id] = 1;
                if (!Waits(step))
                {
                    foreach (var next in step.Successors.Select(journey.FindStep).Where(s => s is not null))
                    {
                        if (state.GetValueOrDefault(next!.Id) == 1 && reported.Add(next.Id))
                        {
                            Error(stepPath(next.Id), $"step '{next.Id}' is on a loop with no wait step; add a wait so the loop cannot run without end");
                        }
                        else if (state.GetValueOrDefault(next.Id) == 0)
                        {
                            Visit(next);
                        }
                    }
                }
                state[step.Id] = 2;
            }
            foreach (var step in journey.Steps.Where(s => !state.ContainsKey(s.Id)))
            {
                Visit(step);
            }
        }
    }
}
