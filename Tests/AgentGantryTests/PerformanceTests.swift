import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import Testing

@Suite("Learned tool performance")
struct PerformanceTests {
    @Test func latencyBudgetFavoursTheToolThatFitsIt() async throws {
        let gantry = try await makeGantry()
        for i in 0..<10 {
            try await gantry.recordExecution(tool: "slack_notify", outcome: .success, latency: .milliseconds(40 + i))
            try await gantry.recordExecution(tool: "email_notify", outcome: .success, latency: .milliseconds(1_900 + i))
        }
        let matches = try await gantry.retrieveTools("notify the team", limit: 5, context: RoutingContext(latencyBudget: .milliseconds(200)))
        let slack = try #require(matches.first { $0.tool.name == "slack_notify" })
        let email = try #require(matches.first { $0.tool.name == "email_notify" })
        #expect(slack.breakdown[.performance] > email.breakdown[.performance])
        let unbounded = try await gantry.retrieveTools("notify the team", limit: 5)
        #expect(Set(unbounded.filter { $0.tool.tags.contains("notifications") }.map(\.breakdown[.performance])).count == 1)
    }

    @Test func coUsageBoostsTheToolThatUsuallyFollows() async throws {
        let gantry = try await makeGantry()
        for s in 0..<5 {
            let session = RoutingContext(session: "s\(s)")
            try await gantry.recordExecution(tool: "upload_file", outcome: .success, context: session)
            try await gantry.recordExecution(tool: "slack_notify", outcome: .success, context: session)
        }
        for s in 0..<4 {  // other sequences, so that "slack follows" is specific to uploads
            let session = RoutingContext(session: "c\(s)")
            try await gantry.recordExecution(tool: "create_calendar_event", outcome: .success, context: session)
            try await gantry.recordExecution(tool: "email_notify", outcome: .success, context: session)
        }
        let fresh = RoutingContext(session: "new")
        try await gantry.recordExecution(tool: "upload_file", outcome: .success, context: fresh)
        let matches = try await gantry.retrieveTools("let people know", limit: 5, context: fresh)
        #expect(matches.first { $0.tool.name == "slack_notify" }!.breakdown[.coUsage] > 0)
        #expect(matches.filter { $0.tool.name != "slack_notify" }.allSatisfy { $0.breakdown[.coUsage] == 0 })
        let elsewhere = try await gantry.retrieveTools("let people know", limit: 5, context: RoutingContext(session: "other"))
        #expect(elsewhere.allSatisfy { $0.breakdown[.coUsage] == 0 })
    }

    @Test func failuresCountPerIntentAndSurviveARestart() async throws {
        let path = temporaryStore()
        do {
            let gantry = try await makeGantry(store: path)
            let session = RoutingContext(session: "ops")
            _ = try await gantry.retrieveTools("restart the api service", limit: 3, context: session)  // devops intent
            for _ in 0..<4 { try await gantry.recordExecution(tool: "restart_service", outcome: .failure, context: session) }
        }
        let reopened = try await makeGantry(store: path)
        let devops = await reopened.state.performance.failureRate(tool: "restart_service", intent: "devops")
        #expect(abs(devops - 5.0 / 14) < 1e-9)  // 4 failures in 4 calls with the prior of 1 in 10
        #expect(await reopened.state.performance.failureRate(tool: "upload_file", intent: "devops") == 0.1)
    }
}

@Test func perSessionStateKeepsOnlyRecentSessions() {
    var sessions = RecentSessions<Int>(capacity: 4)
    for i in 0..<10 { sessions["s\(i)"] = i }
    #expect(sessions.count <= 4)
    #expect(sessions["s9"] == 9 && sessions["s8"] == 8)  // the most recently written survive
    #expect(sessions["s0"] == nil && sessions["s5"] == nil)
    sessions["s9"] = nil
    #expect(sessions["s9"] == nil)
    for i in 0..<10_000 { sessions["t\(i % 7)"] = i }  // 7 sessions in turn through 4 places
    #expect(sessions["t3"] == 9_999 && sessions["t2"] == 9_998 && sessions.count <= 4)
}
