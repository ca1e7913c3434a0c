import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import Testing

/// A query with nothing in it embeds to a vector that means nothing: retrieving with it returned
/// tools, and feedback stored it. Empty and blank texts are refused; an empty tool description is
/// not (the tool's name alone is a text worth embedding).
@Suite("Empty text")
struct EmptyTextTests {
    static let blanks = ["", " ", "\n\t  ", "\u{3000}\u{A0}", "\u{200B}", "\u{7}", "\u{301}\u{301}", "\u{FE0F}", " \u{20DD}"]

    static func isBlankRefusal(_ error: any Error) -> Bool {
        guard case .invalidInput(let reason)? = error as? GantryError else { return false }
        return reason == "the query is empty or blank"
    }

    @Test func emptyAndBlankQueriesAreRefused() async throws {
        let path = temporaryStore()
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: FaultyEmbedder())
        try await gantry.register(Tool(name: "cancel_subscription", description: "Stop the plan."))
        for blank in Self.blanks {
            await #expect(performing: { _ = try await gantry.retrieveTools(blank) }, throws: Self.isBlankRefusal)
            await #expect(performing: { try await gantry.recordFeedback(query: blank, selectedTool: nil, correctTool: "cancel_subscription") },
                          throws: Self.isBlankRefusal)
        }
        #expect(try SQLiteStore(path: path).feedbackEvents().isEmpty)
        let line = #"{"kind":"feedback","at":1,"correct_tool":"slack_notify","feedback_type":"confirmed","query":" ","query_vector":[1,0,0,0,0,0,0,0]}"#
        #expect { try EventLog.decode(line, dimension: 8, knownTools: ["slack_notify"]) } throws: { "\($0)" == "events line 1: the query is empty or blank" }
        #expect(try await gantry.retrieveTools("x").map(\.tool.name) == ["cancel_subscription"])  // one letter is a query
    }

    @Test func aToolMayHaveAnEmptyDescriptionButNotABlankExample() async throws {
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: FaultyEmbedder())
        try await gantry.register(Tool(name: "cancel_subscription", description: ""))
        #expect(try await gantry.retrieveTools("cancel").map(\.tool.name) == ["cancel_subscription"])
        await #expect(performing: { try await gantry.register(Tool(name: "pause", description: "Pause.", examples: ["hold my plan", " "])) },
                      throws: { "\($0)" == #"tool "pause": an example is empty or blank"# })
    }
}
