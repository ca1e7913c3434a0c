import AgentGantry
import Foundation
import Testing

/// A process that keeps a store open serves what another process publishes there, without
/// reopening: here the adapter `gantry train --store` trains in its own process.
@Suite("Following a store")
struct FollowTests {
    @Test func aRunningProcessServesTheAdapterAnotherProcessTrained() async throws {
        let folder = NSTemporaryDirectory() + "gantry-follow-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = GantryConfiguration(storePath: folder + "/gantry.sqlite")
        configuration.followInterval = .milliseconds(50)
        let gantry = try await AgentGantry(configuration: configuration)
        try await gantry.register([Tool(name: "cancel_subscription", description: "End the plan for good and stop future charges."),
                                   Tool(name: "pause_subscription", description: "Pause billing for a while; the plan resumes later."),
                                   Tool(name: "slack_notify", description: "Post a message to a Slack channel.")])
        // 80 distinct cancelling requests that belong to pause_subscription: only training can teach it.
        for verb in ["cancel", "stop", "end", "terminate", "close", "quit", "drop", "discontinue", "abandon", "kill"] {
            for object in ["my subscription", "the plan", "my membership", "the monthly plan", "my account plan", "the recurring charge",
                           "this subscription", "our subscription"] {
                try await gantry.recordFeedback(query: "\(verb) \(object)", selectedTool: "cancel_subscription", correctTool: "pause_subscription")
            }
        }
        let probe = "please cancel my premium subscription today"
        func semanticScores(_ gantry: AgentGantry) async throws -> [String: Double] {
            Dictionary(uniqueKeysWithValues: try await gantry.retrieveTools(probe, limit: 3).map { ($0.tool.name, $0.breakdown[.semantic]) })
        }
        let before = try await semanticScores(gantry)

        let run = try runGantry(["train", "--store", folder + "/gantry.sqlite", "--rank", "8"])
        #expect(run.status == 0 && run.output.contains("stored as version 1"), "\(run.output)")
        var served: Int64?
        for _ in 0..<600 where served != 1 {  // up to 30 s: the follower looks every 50 ms
            try await Task.sleep(for: .milliseconds(50))
            served = await gantry.servedAdapterVersion
        }
        #expect(served == 1)
        // It answers as a process that opens the store now does: queries and tools adapted by version 1.
        let following = try await semanticScores(gantry)
        let opened = try await semanticScores(try await AgentGantry(configuration: GantryConfiguration(storePath: folder + "/gantry.sqlite")))
        #expect(following != before)
        #expect(following.keys == opened.keys && following.allSatisfy { abs($0.value - opened[$0.key]!) < 1e-6 }, "\(following) vs \(opened)")
    }
}
