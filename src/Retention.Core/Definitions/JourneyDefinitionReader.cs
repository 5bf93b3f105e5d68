using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cronos;
using Retention.Core.Conditions;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Definitions;

/// <summary>
/// Reads a journey definition from JSON and validates it whole: it reports every fault it finds, each with the
/// JSON Pointer of the offending value, rather than stopping at the first. The shape (fields, types, formats) is the
/// schema's (<see cref="JourneySchema"/>); this reader adds what a schema cannot say: durations within 10 years, cron
/// expressions, time zones, calendar dates, business calendars, custom event types, templates, and the step graph.
/// </summary>
/// <param name="calendars">The business calendar ids that exist; when given, a step naming another is an error.</param>
public sealed class JourneyDefinitionReader(ITemplateChecker? templates = null, IReadOnlySet<string>? calendars = null)
{
    public DefinitionReadResult Read(string json)
    {
        var root = StrictJson.Parse(json, out var malformed);
        return malformed is not null ? new DefinitionReadResult(null, [malformed]) : Read(root);
    }

    /// <summary>Reads a definition already parsed by <see cref="StrictJson"/>, such as one inside a request body.</summary>
    public DefinitionReadResult Read(JsonNode? root)
    {
        var errors = JourneySchema.Check(root).ToList();
        if (root is not JsonObject obj)
        {
            return new DefinitionReadResult(null, errors);
        }
        var rules = new List<DefinitionError>();
        var definition = new Model(rules, templates, calendars).Journey(obj);
        new Graph(rules).Check(definition, obj);
        // A value the schema already rejects is reported once, in the schema's words.
        errors.AddRange(rules.Where(rule => errors.All(e => e.Path != rule.Path)));
        return new DefinitionReadResult(errors.Count == 0 ? definition : null, errors);
    }

    /// <summary>
    /// Reads an unsaved definition sent inside a request at <paramref name="at"/> (such as /definition) for the journey
    /// <paramref name="id"/>, as the editor sends it to simulate or preview: its errors' paths start with where it was
    /// in the request, and another journey's id is an error.
    /// </summary>
    public DefinitionReadResult ReadUnsaved(JsonNode? root, string id, string at)
    {
        var read = Read(root);
        if (!read.IsValid)
        {
            return new DefinitionReadResult(null, [.. read.Errors.Select(e => e with { Path = at + e.Path })]);
        }
        return read.Definition!.Id == id ? read : new DefinitionReadResult(null, [new DefinitionError($"{at}/id", $"must be '{id}'")]);
    }

    /// <summary>
    /// Reads a definition that was validated when it was published, without validating it again: an instance replays
    /// the definition it carries, and a schema or reader made stricter since must not fail it (validation belongs to
    /// publishing). Null when the text is not a journey at all: not a JSON object with an id, a start and steps.
    /// </summary>
    public static JourneyDefinition? ReadPublished(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
        return root is JsonObject obj && Text(obj["id"]) is { Length: > 0 } && Text(obj["start"]) is { Length: > 0 } && obj["steps"] is JsonArray
            ? new Model([], templates: null, calendars: null).Journey(obj)
            : null;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static decimal? Number(JsonNode? node) => JsonNumbers.TryGetDecimal(node, out var value) ? value : null;

    private static bool? Flag(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    private static TEnum? Enum<TEnum>(JsonNode? node) where TEnum : struct, Enum =>
        Text(node) is { } text && System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) ? value : null;

    /// <summary>
    /// Builds the model from JSON, taking what is there: a value of the wrong shape is left out (the schema reports it),
    /// so the graph checks still run on the rest. Reports only the rules a schema cannot state.
    /// </summary>
    private sealed class Model(List<DefinitionError> errors, ITemplateChecker? templates, IReadOnlySet<string>? calendars)
    {
        private void Error(string path, string message) => errors.Add(new DefinitionError(path, message));

        public JourneyDefinition Journey(JsonObject obj)
        {
            var id = Text(obj["id"]) ?? "";
            return new JourneyDefinition
            {
                Id = id,
                Name = Text(obj["name"]) ?? id,
                Description = Text(obj["description"]) ?? "",
                Version = (int)Math.Clamp(Number(obj["version"]) ?? 0, 0, int.MaxValue),
                Trigger = Trigger(obj["trigger"] as JsonObject, "/trigger"),
                Entry = Entry(obj["entry"] as JsonObject, "/entry"),
                ExitOn = Objects(obj["exitOn"], "/exitOn", EventRule),
                Goal = obj["goal"] is JsonObject goal ? Goal(goal, "/goal") : null,
                HoldoutPercent = Number(obj["holdoutPercent"]) ?? 0,
                EventBufferWindow = Duration(obj, "", "eventBufferWindow")?.Approximate,
                Start = Text(obj["start"]) ?? "",
                Steps = Objects(obj["steps"], "/steps", Step),
                Templates = Templates(obj["templates"] as JsonObject, "/templates"),
                Clocks = Clocks(obj["clocks"] as JsonObject, "/clocks"),
            };
        }

        private Step? Step(JsonObject obj, string path)
        {
            var id = Text(obj["id"]) ?? "";
            var next = Text(obj["next"]);
            switch (Text(obj["type"]))
            {
                case StepTypes.Wait:
                    return new WaitStep(id, WaitUntil(obj, path), next);
                case StepTypes.Send:
                    return new SendStep(id,
                        Enum<MessageChannel>(obj["channel"]) ?? MessageChannel.Sms,
                        Text(obj["template"]) ?? "",
                        Enum<MessageCategory>(obj["category"]) ?? MessageCategory.Service,
                        next,
                        Enum<MessageChannel>(obj["fallback"]),
                        Duration(obj, path, "expiresAfter"));
                case StepTypes.WaitForEvent:
                    var inBusinessTime = obj["businessTimeout"] is not null;
                    return new WaitForEventStep(id,
                        Text(obj["event"]) ?? "",
                        PathMap(obj["match"]),
                        Condition(obj["filter"]),
                        Duration(obj, path, inBusinessTime ? "businessTimeout" : "timeout"),
                        PathMap(obj["capture"]),
                        Text(obj["onEvent"]),
                        Text(obj["onTimeout"]),
                        inBusinessTime,
                        CalendarRef(obj, path),
                        obj["deadline"] is JsonObject deadline && Text(deadline["clock"]) is { } clock ? new ClockDeadline(clock, Number(deadline["percent"]) ?? 100) : null);
                case StepTypes.Clock:
                    return new ClockStep(id, Text(obj["clock"]) ?? "", Enum<ClockAction>(obj["action"]) ?? ClockAction.Start, next);
                case StepTypes.Branch:
                    return new BranchStep(id, Objects(obj["cases"], JsonPointer.Append(path, "cases"), (c, _) =>
                        Condition(c["when"]) is { } when && Text(c["next"]) is { } to ? new BranchCase(when, to) : null), Text(obj["otherwise"]));
                case StepTypes.Split:
                    return new SplitStep(id, Objects(obj["paths"], JsonPointer.Append(path, "paths"), (p, _) =>
                        Number(p["percent"]) is { } percent && Text(p["next"]) is { } to ? new SplitPath(percent, to) : null));
                case StepTypes.Task:
                    var businessDays = Number(obj["dueBusinessDays"]);
                    return new TaskStep(id,
                        Text(obj["kind"]) ?? "",
                        Text(obj["title"]) ?? "",
                        Assignee(obj["assignee"] as JsonObject),
                        Duration(obj, path, "due") ?? JourneyDuration.Zero,
                        next,
                        businessDays is null ? null : (int)businessDays.Value);
                case StepTypes.Update:
                    return new UpdateStep(id, ValueMap(obj["set"]), Strings(obj["addTags"]), Strings(obj["removeTags"]), next, ValueMap(obj["add"]));
                case StepTypes.Emit:
                    var emitted = Text(obj["event"]) ?? "";
                    if (emitted.Length > 0 && !CloudEventReader.IsCustomType(emitted))
                    {
                        Error(JsonPointer.Append(path, "event"), "must be a custom event type such as referral.paid (lower-case, dotted) that core systems do not send");
                    }
                    return new EmitStep(id, emitted, Text(obj["customer"]) ?? "", ValueMap(obj["data"]), next);
                case StepTypes.Exit:
                    return new ExitStep(id, Text(obj["outcome"]) ?? "completed");
                default:
                    return null;
            }
        }

        /// <summary>The wait's one form; a step without a readable form still stands, so the steps after it stay reachable.</summary>
        private WaitUntil WaitUntil(JsonObject obj, string path)
        {
            if (obj["businessTime"] is not null)
            {
                return new WaitBusinessTime(Duration(obj, path, "businessTime") ?? JourneyDuration.Zero, CalendarRef(obj, path));
            }
            if (obj["until"] is JsonObject until)
            {
                return new WaitTimeOfDay(Time(until["time"]) ?? TimeOnly.MinValue, (int)Math.Clamp(Number(until["daysLater"]) ?? 0, 0, 3660));
            }
            if (obj["untilDate"] is JsonObject date)
            {
                var datePath = JsonPointer.Append(path, "untilDate");
                return new WaitDate(Text(date["path"]) ?? "", Duration(date, datePath, "offset") ?? JourneyDuration.Zero,
                    Time(date["time"]) ?? TimeOnly.MinValue, Flag(date["yearly"]) ?? false);
            }
            return new WaitDuration(Duration(obj, path, "duration") ?? JourneyDuration.Zero);
        }

        private JourneyTrigger Trigger(JsonObject? obj, string path)
        {
            switch (Text(obj?["type"]))
            {
                case "event":
                    return new EventTrigger(Text(obj!["event"]) ?? "", Condition(obj["filter"]));
                case "schedule":
                    var cron = Text(obj!["cron"]) ?? "";
                    if (cron.Length > 0 && !IsCron(cron))
                    {
                        Error(JsonPointer.Append(path, "cron"), $"'{cron}' is not a cron expression (5 fields, or 6 with seconds)");
                    }
                    var zone = Text(obj["timeZone"]) ?? "UTC";
                    if (!LocalClock.IsKnownZone(zone))
                    {
                        Error(JsonPointer.Append(path, "timeZone"), $"'{zone}' is not an IANA time zone");
                    }
                    var dates = new Dictionary<DateOnly, string>();
                    foreach (var (text, occasion) in obj["dates"] as JsonObject ?? [])
                    {
                        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        {
                            Error(JsonPointer.Append(JsonPointer.Append(path, "dates"), text), $"'{text}' is not a date (YYYY-MM-DD)");
                        }
                        else if (Text(occasion) is { } name)
                        {
                            dates[date] = name;
                        }
                    }
                    return new ScheduleTrigger(cron, zone, Condition(obj["customers"])) { Dates = dates };
                default:
                    return new ApiTrigger();
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

        private EntryRule Entry(JsonObject? obj, string path) =>
            obj is null
                ? new EntryRule(ReEntryPolicy.Always, null, null)
                : new EntryRule(Enum<ReEntryPolicy>(obj["policy"]) ?? ReEntryPolicy.Always, Text(obj["key"]), Duration(obj, path, "cooldown"));

        private EventRule? EventRule(JsonObject obj, string path) =>
            Text(obj["event"]) is { } type ? new EventRule(type, PathMap(obj["match"]), Condition(obj["filter"])) : null;

        private GoalRule? Goal(JsonObject obj, string path) =>
            Text(obj["event"]) is { } type && Duration(obj, path, "within") is { } within
                ? new GoalRule(type, within, Condition(obj["filter"]), Flag(obj["exit"]) ?? true)
                : null;

        private Dictionary<string, ClockDefinition> Clocks(JsonObject? obj, string path)
        {
            var clocks = new Dictionary<string, ClockDefinition>(StringComparer.Ordinal);
            foreach (var (name, value) in obj ?? [])
            {
                var clockPath = JsonPointer.Append(path, name);
                if (value is JsonObject clock && ClockTargetOf(clock["target"]) is { } target)
                {
                    clocks[name] = new ClockDefinition(name, target, CalendarRef(clock, clockPath),
                        Objects(clock["pauseOn"], JsonPointer.Append(clockPath, "pauseOn"), EventRule),
                        Objects(clock["resumeOn"], JsonPointer.Append(clockPath, "resumeOn"), EventRule));
                }
            }
            return clocks;
        }

        private static ClockTarget? ClockTargetOf(JsonNode? node)
        {
            if (node is JsonObject picked)
            {
                var cases = new Dictionary<string, JourneyDuration>(StringComparer.Ordinal);
                foreach (var (value, duration) in picked["cases"] as JsonObject ?? [])
                {
                    if (WorkingTime(duration) is { } target)
                    {
                        cases[value] = target;
                    }
                }
                return new ClockTarget(Text(picked["path"]), cases, WorkingTime(picked["default"]));
            }
            return WorkingTime(node) is { } fixedTarget ? ClockTarget.Fixed(fixedTarget) : null;
        }

        /// <summary>Working time is hours and minutes (the schema's form), so it always fits a duration.</summary>
        private static JourneyDuration? WorkingTime(JsonNode? node) =>
            Text(node) is { } text && JourneyDuration.TryParse(text, out var duration) ? duration : null;

        private static TaskAssignee Assignee(JsonObject? obj) =>
            obj is null ? new TaskAssignee(true, null) : new TaskAssignee(Flag(obj["owner"]) ?? false, Text(obj["role"]), Text(obj["path"]));

        private Dictionary<string, MessageTemplate> Templates(JsonObject? obj, string path)
        {
            var result = new Dictionary<string, MessageTemplate>(StringComparer.Ordinal);
            foreach (var (name, value) in obj ?? [])
            {
                if (value is not JsonObject template)
                {
                    continue;
                }
                var templatePath = JsonPointer.Append(path, name);
                var sms = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (locale, node) in template["sms"] as JsonObject ?? [])
                {
                    if (Text(node) is { Length: > 0 } text)
                    {
                        CheckTemplate(JsonPointer.Append(JsonPointer.Append(templatePath, "sms"), locale), text);
                        sms[locale] = text;
                    }
                }
                var email = new Dictionary<string, EmailContent>(StringComparer.Ordinal);
                foreach (var (locale, node) in template["email"] as JsonObject ?? [])
                {
                    var contentPath = JsonPointer.Append(JsonPointer.Append(templatePath, "email"), locale);
                    var parts = new[] { "subject", "text", "html" }.Select(part => (Part: part, Text: Text(node?[part]))).ToList();
                    foreach (var (part, text) in parts.Where(p => p.Text is not null))
                    {
                        CheckTemplate(JsonPointer.Append(contentPath, part), text!);
                    }
                    if (parts[0].Text is { } subject && parts[1].Text is { } body)
                    {
                        email[locale] = new EmailContent(subject, body, parts[2].Text);
                    }
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

        private static Condition? Condition(JsonNode? node)
        {
            if (node is not JsonObject obj)
            {
                return null;
            }
            if (obj["all"] is JsonArray all)
            {
                return new AllCondition([.. all.Select(Condition).OfType<Condition>()]);
            }
            if (obj["any"] is JsonArray any)
            {
                return new AnyCondition([.. any.Select(Condition).OfType<Condition>()]);
            }
            if (obj.ContainsKey("not"))
            {
                return Condition(obj["not"]) is { } inner ? new NotCondition(inner) : null;
            }
            return Text(obj["path"]) is { } path && Enum<ComparisonOperator>(obj["op"]) is { } op
                ? new Comparison(path, op, obj["value"]?.DeepClone(), Text(obj["valuePath"]))
                : null;
        }

        private static Dictionary<string, string> PathMap(JsonNode? node)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in node as JsonObject ?? [])
            {
                if (Text(value) is { } path)
                {
                    result[name] = path;
                }
            }
            return result;
        }

        /// <summary>Name to a literal, or to <c>{"path": …}</c> for a value read when the step runs.</summary>
        private static Dictionary<string, ValueSource> ValueMap(JsonNode? node)
        {
            var map = new Dictionary<string, ValueSource>(StringComparer.Ordinal);
            foreach (var (name, value) in node as JsonObject ?? [])
            {
                map[name] = value is JsonObject source && source.ContainsKey("path") ? new ValueSource(Text(source["path"]), null) : new ValueSource(null, value?.DeepClone());
            }
            return map;
        }

        private static List<string> Strings(JsonNode? node) => node is JsonArray array ? [.. array.Select(Text).OfType<string>()] : [];

        private List<T> Objects<T>(JsonNode? node, string path, Func<JsonObject, string, T?> item) where T : class
        {
            var result = new List<T>();
            if (node is JsonArray array)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject obj && item(obj, JsonPointer.Append(path, i)) is { } value)
                    {
                        result.Add(value);
                    }
                }
            }
            return result;
        }

        private string? CalendarRef(JsonObject obj, string path)
        {
            var id = Text(obj["calendar"]);
            if (id is not null && calendars is not null && !calendars.Contains(id))
            {
                Error(JsonPointer.Append(path, "calendar"), $"unknown business calendar '{id}'; known: {string.Join(", ", calendars.Order(StringComparer.Ordinal))}");
            }
            return id;
        }

        /// <summary>The schema checks a duration's form; its length (at most 10 years) is checked here.</summary>
        private JourneyDuration? Duration(JsonObject obj, string path, string key)
        {
            if (Text(obj[key]) is not { } text)
            {
                return null;
            }
            if (!JourneyDuration.TryParse(text, out var duration))
            {
                Error(JsonPointer.Append(path, key), $"'{text}' is longer than 10 years (a year counts as 366 days, a month as 31)");
                return null;
            }
            return duration;
        }

        private static TimeOnly? Time(JsonNode? node) =>
            Text(node) is { } text && TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
    }

    /// <summary>Meaning: references, reachability, templates and clocks named, split totals, and loops that never wait.</summary>
    private sealed class Graph(List<DefinitionError> errors)
    {
        private void Error(string path, string message) => errors.Add(new DefinitionError(path, message));

        public void Check(JourneyDefinition journey, JsonObject root)
        {
            var stepsJson = root["steps"] as JsonArray ?? [];
            var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < stepsJson.Count; i++)
            {
                if (Text(stepsJson[i]?["id"]) is { } id && !indexOf.TryAdd(id, i))
                {
                    Error(JsonPointer.Append(JsonPointer.Append("/steps", i), "id"), $"duplicate step id '{id}' (first at /steps/{indexOf[id]})");
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
                    case SplitStep split when split.Paths.Count > 0 && split.Paths.Sum(p => p.Percent) != 100:
                        Error(StepPath(step.Id) + "/paths", $"percentages add up to {split.Paths.Sum(p => p.Percent)}; they must add up to 100");
                        break;
                }
            }
            Reachability(journey, StepPath);
            LoopsWithoutWait(journey, StepPath);
        }

        private static string UnknownClock(JourneyDefinition journey, string name) =>
            $"no clock named '{name}' in /clocks" + (journey.Clocks.Count > 0 ? $"; defined: {string.Join(", ", journey.Clocks.Keys.Order(StringComparer.Ordinal))}" : "");

        private static IEnumerable<(string Field, string Target)> References(Step step) => step switch
        {
            WaitForEventStep e => Maybe("/onEvent", e.OnEvent).Concat(Maybe("/onTimeout", e.OnTimeout)),
            BranchStep b => b.Cases.Select((c, i) => ($"/cases/{i}/next", c.Next)).Concat(Maybe("/otherwise", b.Otherwise)),
            SplitStep s => s.Paths.Select((p, i) => ($"/paths/{i}/next", p.Next)),
            ExitStep => [],
            _ => step.Successors.Select(next => ("/next", next)),
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
