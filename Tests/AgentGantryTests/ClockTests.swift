import Foundation
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// Time comes from the configuration's clock, never from the machine: what a test or a replay
/// shows cannot depend on how fast it runs (a slow debug run once outlasted a breaker's 30 s
/// cool-down and read `half_open` where `open` was expected).
@Suite("Injected clock")
struct ClockTests {
    /// A time the test sets.
    final class ManualTime: @unchecked Sendable {
        private let lock = NSLock()
        private var time: Date

        init(_ time: Date) { self.time = time }

        var now: Date { lock.withLock { time } }

        func advance(_ seconds: TimeInterval) { lock.withLock { time.addTimeInterval(seconds) } }
    }

    @Test func breakersAndEventsFollowTheInjectedClock() async throws {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let time = ManualTime(start)
        var configuration = GantryConfiguration(storePath: nil)
        configuration.clock = GantryClock { time.now }
        let gantry = try await AgentGantry(configuration: configuration, embedder: StoreOpeningTests.hashEmbedder())
        try await gantry.register(StoreOpeningTests.tools)
        for _ in 0..<configuration.breaker.consecutiveFailures { try await gantry.recordExecution(tool: "tool_2", outcome: .failure) }
        // Retrievals of one published snapshot follow the clock too (their blocked set is worked out
        // once per snapshot, until the next cool-down ends): open, then half_open with one probe.
        func retrieved() async throws -> [String] {
            try await gantry.retrieveTools("Tool number 2", limit: StoreOpeningTests.tools.count).map(\.tool.name)
        }
        #expect(try await gantry.breakerState(of: "tool_2") == .open)
        let whileOpen = try await retrieved()
        #expect(!whileOpen.contains("tool_2") && whileOpen.count == StoreOpeningTests.tools.count - 1)
        time.advance(configuration.breaker.coolDown - 1)
        #expect(try await gantry.breakerState(of: "tool_2") == .open)
        #expect(try await !retrieved().contains("tool_2"))
        time.advance(2)
        #expect(try await gantry.breakerState(of: "tool_2") == .halfOpen)
        let probe = try await retrieved()
        #expect(probe.contains("tool_2"), "\(probe)")  // the probe
        let probesOut = try await retrieved()
        #expect(!probesOut.contains("tool_2") || configuration.breaker.probes > 1)
        #expect("\(try await gantry.breakerState(of: "tool_2"))" == "half_open")  // as the CLI, JSON and docs spell it
        try await gantry.recordFeedback(query: "request", selectedTool: nil, correctTool: "tool_1")
        #expect(try await gantry.exportEvents().contains(#""at":\#(Int(start.timeIntervalSince1970 + configuration.breaker.coolDown + 1))"#))
    }

    @Test func aSteppingClockAdvancesByItsStepAtEveryRead() {
        let clock = GantryClock.stepping(from: Date(timeIntervalSince1970: 100), by: 0.5)
        #expect((0..<4).map { _ in clock.now().timeIntervalSince1970 } == [100, 100.5, 101, 101.5])
    }
}
