using System.Text;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Application.Customers;

/// <summary>
/// Reads one line of an import file into a <c>customer.upserted</c> data object. NDJSON lines are JSON objects; a CSV
/// row is read against the header (RFC 4180 quoting within one line), a column <c>consent.sms</c> or
/// <c>attributes.tier</c> filling a nested object, and an empty cell leaving the field out.
/// </summary>
public static class CustomerImportFile
{
    /// <summary>The file's lines (CR LF or LF), the CSV header included, without a byte order mark; a final empty line is no line.</summary>
    public static IReadOnlyList<string> Lines(string content)
    {
        var lines = content.TrimStart('\uFEFF').Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }
        return lines;
    }

    /// <summary>The data object of a line, or null with the fault added at <paramref name="path"/>.</summary>
    public static JsonObject? Read(CustomerImportFormat format, string? header, string line, string path, List<DefinitionError> errors)
    {
        if (format == CustomerImportFormat.Ndjson)
        {
            var parsed = StrictJson.Parse(line, out var malformed, maxDepth: 32);
            if (malformed is not null)
            {
                errors.Add(new DefinitionError(path + malformed.Path, malformed.Message));
                return null;
            }
            if (parsed is not JsonObject data)
            {
                errors.Add(new DefinitionError(path, "a line must be a JSON object: the customer.upserted data"));
                return null;
            }
            return data;
        }
        var names = Cells(header ?? "");
        var cells = Cells(line);
        if (cells.Count != names.Count)
        {
            errors.Add(new DefinitionError(path, $"has {cells.Count} cells; the header names {names.Count}"));
            return null;
        }
        var row = new JsonObject();
        for (var i = 0; i < names.Count; i++)
        {
            if (cells[i].Length == 0)
            {
                continue;
            }
            var dot = names[i].IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                row[names[i]] = cells[i];
                continue;
            }
            var parent = names[i][..dot];
            if (row[parent] is not JsonObject nested)
            {
                row[parent] = nested = new JsonObject();
            }
            nested[names[i][(dot + 1)..]] = cells[i];
        }
        return row;
    }

    /// <summary>Faults of a CSV header: every column must name a field, once.</summary>
    public static IReadOnlyList<DefinitionError> HeaderErrors(string header)
    {
        var names = Cells(header);
        var errors = new List<DefinitionError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Length == 0 || !seen.Add(names[i]))
            {
                errors.Add(new DefinitionError($"/lines/1/{i}", names[i].Length == 0 ? "a column must name a customer.upserted field" : $"names {names[i]} twice"));
            }
        }
        if (!seen.Contains("customerId"))
        {
            errors.Add(new DefinitionError("/lines/1", "the header must name customerId"));
        }
        return errors;
    }

    private static List<string> Cells(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
