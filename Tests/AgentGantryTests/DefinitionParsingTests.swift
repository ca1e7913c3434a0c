import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryMath
import Testing

/// `JSONValue(parsing:)` and `Tool(definition:)` read stored definitions without `Codable`; on
/// every text they accept they must agree with `JSONDecoder`, and they must refuse (leaving the
/// verdict to `JSONDecoder`) what is not strict JSON.
@Suite("Definition parsing")
struct DefinitionParsingTests {
    /// A seeded random JSON value: nested objects and arrays, numbers of every magnitude, strings
    /// with quotes, backslashes, control characters, non-ASCII and astral scalars.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let pieces = ["plain", "quote \" and \\ backslash", "tab\tnew\nline\r\u{8}\u{C}", "\u{1}\u{1F}\u{7F}", "café", "cafe\u{301}",
                      "日本語", "emoji 😀 astral 𝄞", "slash / and \u{2028}", ""]
        switch rng.next() % (depth >= 4 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2:
            let magnitude = Double(rng.next() % 40) - 20
            let sign: Double = rng.next() % 2 == 0 ? 1 : -1
            return .number(sign * Double(rng.next() % 1_000_000) * pow(10, magnitude))
        case 3: return .string(pieces[Int(rng.next() % UInt64(pieces.count))] + String(rng.next() % 100))
        case 4: return .array((0..<Int(rng.next() % 5)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var members = [String: JSONValue]()
            for i in 0..<Int(rng.next() % 5) { members[pieces[i % pieces.count] + "\(i)"] = randomValue(&rng, depth: depth + 1) }
            return .object(members)
        }
    }

    @Test("agrees with JSONDecoder on what JSONEncoder writes, in every output format")
    func agreesWithJSONDecoder() throws {
        var rng = SplitMix64(seed: 11)
        let formats: [JSONEncoder.OutputFormatting] = [[], [.sortedKeys], [.prettyPrinted, .withoutEscapingSlashes]]
        for i in 0..<600 {
            let value = Self.randomValue(&rng)
            let encoder = JSONEncoder()
            encoder.outputFormatting = formats[i % formats.count]
            let text = String(decoding: try encoder.encode(value), as: UTF8.self)
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(JSONValue(parsing: text) == decoded, "\(text)")
        }
    }

    @Test("reads escapes JSONEncoder never writes: \\u escapes, surrogate pairs, \\/")
    func readsEveryEscape() throws {
        let texts = [#""\u00e9\u0301 \uD83D\uDE00 \/ \b\f\n\r\t \u0000""#, #"{"k\u0041y": [1, -0, 0.5e-3, 2E+2, -1.25]}"#,
                     " \t\n[ true , false , null ] \r\n", #""\uDBFF\uDFFF""#]
        for text in texts {
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(JSONValue(parsing: text) == decoded, "\(text)")
        }
    }

    @Test("refuses what is not strict JSON, leaving the verdict to JSONDecoder")
    func refusesMalformedText() {
        let texts = ["", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "01", "1.", ".5", "+1", "-", "1e", "1e400", "-1e400", "NaN",
                     "tru", "nul", "\"\u{1}\"", "\"unterminated", #""\x""#, #""\u12""#, #""\uD800""#, #""\uDC00 x""#,
                     #""\uD800\u0041""#, "{\"a\":1,\"a\":2}", "{1: 2}", "[1] 2", "{\"a\" 1}", "'single'"]
        for text in texts { #expect(JSONValue(parsing: text) == nil, "\(text)") }
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(JSONValue(parsing: deep, maxDepth: 39) == nil)
        #expect(JSONValue(parsing: deep, maxDepth: 40) != nil)
    }

    @Test("a stored definition reads as JSONDecoder reads it; JSONDecoder decides unusual and damaged ones")
    func toolDefinitionsAgree() throws {
        let schema: JSONValue = .object(["type": .string("object"), "properties": .object([
            "city": .object(["type": .string("string"), "description": .string("a \"quoted\" city, e.g. Zürich")]),
            "days": .object(["type": .string("integer"), "minimum": .number(1), "maximum": .number(14)]),
        ]), "required": .array([.string("city")])])
        let tools = [
            Tool(name: "get_weather", description: "Weather for a city.\nSecond line\twith tab", tags: ["weather", "café"],
                 namespace: "ns", parameters: schema, examples: ["weather in Paris?", "é"], deprecated: true),
            Tool(name: "bare", description: ""),
        ]
        for tool in tools {
            let text = StoredTool.definition(of: tool)
            #expect(Tool(definition: text) == tool)
            #expect(Tool(definition: text) == (try JSONDecoder().decode(Tool.self, from: Data(text.utf8))))
        }
        let texts = [
            #"{"deprecated":false,"description":"d","examples":[],"name":"n","namespace":"x","tags":[],"parameters":null,"extra":1}"#,
            #"{"deprecated":false,"description":"d","examples":[],"name":"n","name":"m","namespace":"x","tags":[]}"#,  // repeated key
            #"{"deprecated":false,"description":"d","examples":[],"name":5,"namespace":"x","tags":[]}"#,
            #"{"deprecated":0,"description":"d","examples":[],"name":"n","namespace":"x","tags":[]}"#,
            #"{"deprecated":false,"description":"d","examples":[null],"name":"n","namespace":"x","tags":[]}"#,
            #"{"description":"d","examples":[],"name":"n","namespace":"x","tags":[]}"#,
            #"["not", "an", "object"]"#, "not json",
        ]
        for text in texts {
            #expect(Tool(definition: text) == (try? JSONDecoder().decode(Tool.self, from: Data(text.utf8))), "\(text)")
        }
    }

    @Test("a scalar rule finds the same scalars byte by byte in ASCII as scalar by scalar elsewhere")
    func scalarRuleMatchesItsPredicate() {
        let predicate: @Sendable (Unicode.Scalar) -> Bool = { $0.properties.generalCategory == .control || $0 == "z" || $0 == "é" }
        let rule = ScalarRule(predicate)
        for text in ["", "abc", "abz", "a\u{1}", "\u{7F}", "caf\u{E9}", "cafe\u{301}", "日本", "日本z", "z日本", "x\u{85}y", "tab\there"] {
            #expect(rule.matchesAny(in: text) == text.unicodeScalars.contains(where: predicate), "\(text)")
        }
    }
}
