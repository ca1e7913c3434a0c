import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryMath
import Testing

@Suite("Intents from embeddings")
struct IntentTests {
    @Test func classifiesByNearestCentroidWithConfidence() throws {
        let encoder = try sharedEncoder.get()
        var classifier = try IntentClassifier(examples: IntentClassifier.defaultExamples) { try encoder.embed($0) }
        func intent(_ text: String) throws -> String? {
            classifier.classify(Array(try encoder.embed([text]).row(0))).map { classifier.intents[$0.intent].name }
        }
        #expect(try intent("set up a meeting with Bob on Tuesday") == "calendar")
        #expect(try intent("is it going to snow this weekend") == "weather")
        #expect(try intent("roll back yesterday's deployment") == "devops")
        #expect(try intent("zxqv blorf") == nil)
        let billing = Tool(name: "x", description: "anything", tags: ["Billing"])
        #expect(classifier.intent(ofTool: billing, vector: Array(try encoder.embed(["anything"]).row(0))) == 0)
        // Feedback moves the centroid toward the corrected query.
        let q = Array(try encoder.embed(["my toaster is broken"]).row(0))
        let before = zip(classifier.intents[0].centroid, q).reduce(0) { $0 + $1.0 * $1.1 }
        classifier.add(q.map(Double.init), to: 0)
        #expect(zip(classifier.intents[0].centroid, q).reduce(0) { $0 + $1.0 * $1.1 } > before)
    }

    @Test func intentSignalAppearsInTheBreakdownWhenWeighted() async throws {
        let gantry = try await makeGantry { $0.weights[.intent] = 0.1 }
        let matches = try await gantry.retrieveTools("schedule a meeting with the team tomorrow", limit: 3)
        let calendar = try #require(matches.first { $0.tool.name == "create_calendar_event" })
        #expect(calendar.breakdown[.intent] > 0)
        #expect(matches.filter { $0.tool.tags.contains("billing") }.allSatisfy { $0.breakdown[.intent] == 0 })
    }
}
