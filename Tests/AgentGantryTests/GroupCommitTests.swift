import Foundation
import GantryEmbed
import GantryMath
import Synchronization
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

@Suite("Group commit and snapshot reads")
struct GroupCommitTests {
    /// A gate a test opens: `wait()` suspends until `open()`.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { continuation in
                let proceed = state.withLock { state in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if proceed { continuation.resume() }
            }
        }

        func open() {
            for waiter in state.withLock({ state in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }) { waiter.resume() }
        }
    }

    static func execution(_ tool: String) -> GantryEvent {
        .execution(ExecutionEvent(id: 0, at: Date(), user: nil, team: nil, session: nil, tool: tool, outcome: .success,
                                  latencyMilliseconds: nil, intent: nil))
    }

    /// 64 events written while the first commit is held go into at most two more commits, and
    /// every caller gets its own id, in the log.
    @Test func concurrentWritesShareCommits() async throws {
        let store = try SQLiteStore(path: nil)
        let gate = Gate(), held = Mutex(0)
        let writer = EventWriter(store: store, beforeCommit: { count in
            held.withLock { $0 += count }
            await gate.wait()
        })
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<64 { group.addTask { try await writer.append(Self.execution("tool_\(i)")) } }
            while held.withLock({ $0 }) + writer.queued < 64 { await Task.yield() }  // the first batch held at the gate, the rest queued
            gate.open()
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 64)
        #expect(writer.commits.commits <= 3 && writer.commits.events == 64, "\(writer.commits)")
        #expect(try store.events().events.map(\.id).sorted() == ids.sorted())
    }

    /// An embedder that holds the texts naming `held` until its gate opens (a synchronous wait,
    /// as a slow embedding blocks its thread).
    struct GatedEmbedder: Embedder {
        let base = HashingEmbedder(dimension: 8, features: .trigrams)
        let held: String
        let semaphore: DispatchSemaphore
        var dimension: Int { base.dimension }
        var modelIdentity: String { base.modelIdentity }

        func embed(_ texts: [String]) throws -> Matrix {
            if texts.contains(where: { $0.contains(held) }) { semaphore.wait() }
            return try base.embed(texts)
        }
    }

    /// While a registration waits in its embedder (holding the actor), 200 retrievals finish:
    /// they read the published snapshot, not the actor. (Were they to wait for the actor, they
    /// would wait for ever: the time limit turns that into a failure.)
    @Test(.timeLimit(.minutes(1))) func aRetrievalDoesNotWaitForAWrite() async throws {
        let semaphore = DispatchSemaphore(value: 0)
        let embedder = GatedEmbedder(held: "held_tool", semaphore: semaphore)
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: embedder)
        try await gantry.register([Tool(name: "send_email", description: "Send an email."), Tool(name: "book_flight", description: "Book a flight.")])
        let registration = Task { try await gantry.register(Tool(name: "held_tool", description: "Registered while retrievals run.")) }
        var answered = 0
        for _ in 0..<200 where try await gantry.retrieveTools("email my colleague", limit: 2).first?.tool.name == "send_email" { answered += 1 }
        #expect(answered == 200)
        #expect(await !gantry.tools.map(\.name).contains("held_tool"))  // not yet: it is still being embedded
        semaphore.signal()
        try await registration.value
        #expect(await gantry.tools.map(\.name).contains("held_tool"))
    }
}
