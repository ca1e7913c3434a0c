import AgentGantry
import Foundation
import GantryEmbed
import GantryIO

/// Which text of each line of a JSONL file to embed (`gantry embed`).
public enum TextSource: Sendable {
    /// A string field of the object.
    case field(String)
    /// A template over the object's fields, e.g. `"{name}: {description}"`.
    case template(String)
    /// The object is a tool (`name` or `id`, `description`, `parameters`, `examples`): the text
    /// `Tool.embeddingText` gives for it, as AgentGantry embeds registered tools.
    case toolText

    /// The texts of `path`, one per non-blank line, in file order. Errors name the file and the
    /// line: not an object, a missing field, an unclosed `{` in the template, a text that is empty
    /// or blank (its vector would mean nothing), holds NUL, or exceeds `MiniLMEncoder.maxTextBytes`
    /// (checked here, before anything tokenises it).
    public func texts(of path: String) throws(EvalError) -> [String] {
        let bytes: [UInt8]
        do { bytes = try BinaryFile.read(path) } catch { throw .unreadable(error) }
        var texts = [String]()
        for line in JSONLines.lines(of: bytes) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.bytes))) as? [String: Any] else {
                throw .line(path: path, line: line.number, reason: "not a JSON object")
            }
            do { texts.append(try Self.checked(text(of: object))) } catch { throw .line(path: path, line: line.number, reason: error.reason) }
        }
        return texts
    }

    /// `text`, unless it is empty or blank (`Limits.isBlank`), holds NUL or has more UTF-8 bytes
    /// than the encoder takes.
    private static func checked(_ text: String) throws(Problem) -> String {
        let bytes = text.utf8.count
        guard bytes <= MiniLMEncoder.maxTextBytes else {
            throw Problem(reason: "the text has \(bytes) bytes; the limit is \(MiniLMEncoder.maxTextBytes)")
        }
        guard !text.utf8.contains(0) else { throw Problem(reason: "the text holds a NUL character") }
        guard !Limits.isBlank(text) else { throw Problem(reason: "the text is empty or blank") }
        return text
    }

    private struct Problem: Error {
        var reason: String
    }

    private func text(of object: [String: Any]) throws(Problem) -> String {
        switch self {
        case .field(let field):
            guard let value = object[field] as? String else {
                throw Problem(reason: "no string field \"\(field)\" (fields: \(object.keys.sorted().joined(separator: ", ")))")
            }
            return value
        case .toolText:
            guard let name = object["name"] as? String ?? object["id"] as? String, !Limits.isBlank(name) else {
                throw Problem(reason: "a tool needs a string \"name\" that is not blank")
            }
            let properties = (object["parameters"] as? [String: Any])?["properties"] as? [String: Any]
            return Tool.embeddingText(name: name, description: object["description"] as? String ?? "",
                                      parameterNames: properties.map { Array($0.keys) } ?? [],
                                      examples: object["examples"] as? [String] ?? [])
        case .template(let template):
            var result = ""
            var rest = Substring(template)
            while let open = rest.firstIndex(of: "{") {
                result += rest[..<open]
                guard let close = rest[open...].firstIndex(of: "}") else { throw Problem(reason: "unclosed { in the template \"\(template)\"") }
                let key = String(rest[rest.index(after: open)..<close])
                guard let value = object[key] else { throw Problem(reason: "no field \"\(key)\" for the template") }
                result += value as? String ?? "\(value)"
                rest = rest[rest.index(after: close)...]
            }
            return result + rest
        }
    }
}
