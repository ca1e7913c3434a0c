import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import Testing

/// Limits count UTF-8 bytes: one character can hold any number of combining marks, so a count of
/// characters bounds nothing (a 100 MB query of marks was 14 characters). Text with NUL is refused
/// wherever text is accepted (SQLite returned a stored query cut off at it).
@Suite("Byte limits")
struct ByteLimitTests {
    /// One character: "a" and 17,000 combining acute accents (34,001 bytes, over every text limit).
    static let marks = "a" + String(repeating: "\u{301}", count: 17_000)

    static func refused(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) was accepted")
        } catch let error as GantryError {
            // The message names the limit and stays short even for a name of 34,001 bytes.
            #expect(error.description.utf8.count < 400, "\(what): a message of \(error.description.utf8.count) bytes")
        } catch {
            Issue.record("\(what): \(error) is not a GantryError")
        }
    }

    @Test func oneCharacterOfCombiningMarksIsMeasuredInBytesEverywhere() async throws {
        #expect(Self.marks.count == 1 && Self.marks.utf8.count == 34_001)
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: FaultyEmbedder())
        try await gantry.register(Tool(name: "cancel_subscription", description: "Stop the plan."))
        let marks = Self.marks
        await Self.refused("a query") { _ = try await gantry.retrieveTools(marks) }
        await Self.refused("a feedback query") { try await gantry.recordFeedback(query: marks, selectedTool: nil, correctTool: "cancel_subscription") }
        await Self.refused("a tool name") { try await gantry.register(Tool(name: marks, description: "d")) }
        await Self.refused("a description") { try await gantry.register(Tool(name: "t", description: marks)) }
        await Self.refused("a tag") { try await gantry.register(Tool(name: "t", description: "d", tags: [marks])) }
        await Self.refused("an example") { try await gantry.register(Tool(name: "t", description: "d", examples: [marks])) }
        await Self.refused("a namespace") { try await gantry.register(Tool(name: "t", description: "d", namespace: marks)) }
        await Self.refused("a user") { _ = try await gantry.retrieveTools("hi", context: RoutingContext(user: marks)) }
        await Self.refused("a context tag") { _ = try await gantry.retrieveTools("hi", context: RoutingContext(tags: [marks])) }
        await Self.refused("a tool to look up") { try await gantry.recordExecution(tool: "cancel_subscription" + marks, outcome: .success) }
        await Self.refused("a user to forget") { _ = try await gantry.forget(user: marks) }
        #expect(await gantry.tools.map(\.name) == ["cancel_subscription"])
        #expect(try await gantry.exportEvents().isEmpty)

        // The limits are the documented bytes: 128 two-byte characters are a valid name, 129 are not.
        try await gantry.register(Tool(name: String(repeating: "\u{E9}", count: Limits.toolNameBytes / 2), description: "d"))
        await Self.refused("a name of 258 bytes") { try await gantry.register(Tool(name: String(repeating: "\u{E9}", count: 129), description: "d")) }
        _ = try await gantry.retrieveTools(String(repeating: "a", count: Limits.queryBytes))
        await Self.refused("a query of queryBytes + 1 bytes") { _ = try await gantry.retrieveTools(String(repeating: "a", count: Limits.queryBytes - 1) + "\u{E9}") }
    }

    @Test func theEventLogMeasuresBytes() throws {
        let line = #"{"kind":"execution","at":1,"tool":"slack_notify","outcome":"success","user":"USER"}"#
        #expect(try EventLog.decode(line.replacingOccurrences(of: "USER", with: "ann"), dimension: 8, knownTools: ["slack_notify"]).executions.count == 1)
        #expect { try EventLog.decode(line.replacingOccurrences(of: "USER", with: Self.marks), dimension: 8, knownTools: ["slack_notify"]) }
            throws: { "\($0)".hasPrefix("events line 1: user has 34001 bytes; the limit is 1024") }
        let feedback = #"{"kind":"feedback","at":1,"correct_tool":"slack_notify","feedback_type":"confirmed","query":"QUERY","query_vector":[1,0,0,0,0,0,0,0]}"#
        #expect(throws: GantryError.self) {
            try EventLog.decode(feedback.replacingOccurrences(of: "QUERY", with: "a" + String(repeating: "\u{301}", count: Limits.queryBytes / 2)),
                                dimension: 8, knownTools: ["slack_notify"])
        }
    }

    @Test func textWithNULIsRefusedWhereverTextIsAccepted() async throws {
        let path = temporaryStore()
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: FaultyEmbedder())
        try await gantry.register(Tool(name: "cancel_subscription", description: "Stop the plan."))
        await Self.refused("a query") { _ = try await gantry.retrieveTools("cancel\u{0}DROP") }
        await Self.refused("a feedback query") {
            try await gantry.recordFeedback(query: "cancel my plan\u{0}and more", selectedTool: nil, correctTool: "cancel_subscription")
        }
        await Self.refused("a tool name") { try await gantry.register(Tool(name: "a\u{0}b", description: "d")) }
        await Self.refused("a tag") { try await gantry.register(Tool(name: "t", description: "d", tags: ["a\u{0}b"])) }
        await Self.refused("an example") { try await gantry.register(Tool(name: "t", description: "d", examples: ["a\u{0}b"])) }
        await Self.refused("a description") { try await gantry.register(Tool(name: "t", description: "a\u{0}b")) }
        await Self.refused("a user") { try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success, context: RoutingContext(user: "a\u{0}b")) }
        #expect(try await gantry.exportEvents().isEmpty)
        #expect(try SQLiteStore(path: path).feedbackEvents().isEmpty)
        let line = #"{"kind":"feedback","at":1,"correct_tool":"slack_notify","feedback_type":"confirmed","query":"a\u0000b","query_vector":[1,0,0,0,0,0,0,0]}"#
        #expect { try EventLog.decode(line, dimension: 8, knownTools: ["slack_notify"]) } throws: { "\($0)".contains("NUL") }
    }
}
