import Foundation
import GantryEmbed
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// Retrievals whose query texts miss the cache while the encoder runs go together into its next
/// pass (`QueryBatcher`). The encoder is the real MiniLM, held at its first pass by a gate the
/// test opens once the other retrievals wait: no timing decides anything here.
@Suite("Query batching")
struct QueryBatchTests {
    /// The shared MiniLM encoder, recording the texts of every call; after `hold(calls:)` that
    /// many next calls wait until `release()` (on a semaphore: such calls run on the batcher's
    /// threads, or on a `GateThread`, not on one of the few threads that run tasks). Refuses a
    /// call that holds `refused`.
    final class GatedEncoder: Embedder, @unchecked Sendable {
        let base: MiniLMEncoder
        let refused: String?
        private let lock = NSLock()
        private var calls = [[String]]()
        private var holding = 0, held = 0
        private let gate = DispatchSemaphore(value: 0)

        init(refusing refused: String? = nil) throws {
            (base, self.refused) = (try sharedEncoder.get(), refused)
        }

        var dimension: Int { base.dimension }
        var modelIdentity: String { base.modelIdentity }

        func embed(_ texts: [String]) throws -> Matrix {
            let waits = lock.withLock { () -> Bool in
                calls.append(texts)
                guard holding > 0 else { return false }
                (holding, held) = (holding - 1, held + 1)
                return true
            }
            if waits { gate.wait() }
            if let refused, texts.contains(refused) { throw EmbedError.mismatch("refused for the test") }
            return try base.embed(texts)
        }

        /// Makes the next `calls` calls wait for `release()`.
        func hold(calls: Int) { lock.withLock { (holding, held) = (calls, 0) } }
        /// How many calls have come to the gate since `hold(calls:)`.
        var heldCalls: Int { lock.withLock { held } }
        /// Lets the held calls go (once: a second call does nothing).
        func release() {
            let count = lock.withLock { () -> Int in
                defer { held = 0 }
                return held
            }
            for _ in 0..<count { gate.signal() }
        }
        /// The texts of each call since `clearCalls()`.
        var recordedCalls: [[String]] { lock.withLock { calls } }
        func clearCalls() { lock.withLock { calls.removeAll() } }
    }

    /// The threads an encoder was called on, in order.
    final class ThreadsCalledOn: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded = [pthread_t]()

        func record() { lock.withLock { recorded.append(pthread_self()) } }
        var threads: [pthread_t] { lock.withLock { recorded } }
    }

    /// A thread of its own for the retrieval the gate holds, so that held retrievals of tests
    /// running in parallel cannot take every thread of the tasks' pool.
    final class GateThread: TaskExecutor {
        let queue = DispatchQueue(label: "query-batch-test-gate")

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Polls `condition` until it holds; fails the test after a minute (a guard against a hang,
    /// not a measurement).
    func waitUntil(_ what: Comment, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record(what)
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// A gantry on `encoder` with the support-desk catalog.
    func gantry(_ encoder: GatedEncoder, batchLimit: Int = 32) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.queryBatchLimit = batchLimit
        let gantry = try await AgentGantry(configuration: configuration, embedder: encoder)
        try await gantry.register(catalog)
        encoder.clearCalls()
        return gantry
    }

    /// Texts whose retrievals take every pass the batcher runs at once.
    func firstTexts(_ gantry: AgentGantry) -> [String] {
        (0..<gantry.queryBatcher.passLimit).map { "upload file number \($0) to storage" }
    }

    /// Starts the retrievals of `first` one by one, each holding a pass at the encoder's gate (the
    /// first on a `GateThread`, the others on the batcher's threads), then the retrievals of
    /// `others`, each once the one before waits for a pass; then lets the held passes go.
    /// Returns each retrieval's tools (of `first`, then of `others`, in order).
    func retrieveTogether(_ gantry: AgentGantry, _ encoder: GatedEncoder, first: [String],
                          others: [String]) async throws -> [Result<[String], any Error>] {
        encoder.hold(calls: first.count)
        defer { encoder.release() }  // also when a wait below fails: no pass stays held
        let thread = GateThread()
        var tasks = [Task<[String], any Error>]()
        for (index, text) in first.enumerated() {
            tasks.append(index == 0 ? Task(executorPreference: thread) { names(try await gantry.retrieveTools(text, limit: 3)) }
                                    : Task { names(try await gantry.retrieveTools(text, limit: 3)) })
            try await waitUntil("retrieval \(index) reaches the encoder") { encoder.heldCalls == index + 1 }
        }
        for (index, text) in others.enumerated() {  // one by one, so that they queue in this order
            tasks.append(Task { names(try await gantry.retrieveTools(text, limit: 3)) })
            try await waitUntil("retrieval \(first.count + index) waits for a pass") { gantry.queryBatcher.waitingCount == index + 1 }
        }
        encoder.release()
        try await waitUntil("the passes end") { gantry.queryBatchStatistics.texts == first.count + others.count }
        var results = [Result<[String], any Error>]()
        for task in tasks { results.append(await task.result) }
        return results
    }

    /// A query that finds no pass running is encoded at once, alone, and so is one that finds a
    /// pass free; queries that find every pass taken go into the next pass together, with a text
    /// asked twice encoded once; each gets the vector and the tools it gets asked alone.
    @Test func queriesArrivingWhileEveryPassRunsGoTogetherIntoTheNext() async throws {
        let encoder = try GatedEncoder()
        let gantry = try await gantry(encoder)
        let first = firstTexts(gantry)
        let others = ["stop my subscription for good", "send the team a message on slack", "refund my last payment",
                      "stop my subscription for good", "restart the production service", "book a meeting for friday"]
        let results = try retrieveTogetherResults(try await retrieveTogether(gantry, encoder, first: first, others: others))
        #expect(encoder.recordedCalls == first.map { [$0] } + [Array(others.prefix(3) + others.suffix(2))])
        #expect(gantry.queryBatchStatistics == QueryBatchStatistics(passes: first.count + 1, texts: first.count + 6, largestPass: 6))

        // The vectors of the batched pass (in the query cache now) are those each text gets alone,
        // and so are the tools: as a gantry without batching ranks them.
        let plain = try await makeGantry { $0.queryBatchLimit = 1 }
        for (text, tools) in zip(first + others, results) {
            let alone = try sharedEncoder.get().embed([text]).row(0)
            let batched = try gantry.embed(text)
            #expect(zip(alone, batched).reduce(0) { $0 + $1.0 * $1.1 } > 0.99999, "\(text)")
            #expect(tools == names(try await plain.retrieveTools(text, limit: 3)), "\(text)")
        }
        #expect(encoder.recordedCalls.count == first.count + 1 && gantry.queryCacheStatistics.hits == first.count + others.count)
    }

    /// At most `queryBatchLimit` texts a pass: the waiting retrievals are taken in order of
    /// arrival, that many at a time.
    @Test func aPassTakesAtMostTheBatchLimit() async throws {
        let encoder = try GatedEncoder()
        let gantry = try await gantry(encoder, batchLimit: 2)
        let first = firstTexts(gantry)
        let others = ["refund my last payment", "restart the production service", "book a meeting for friday",
                      "send an email to the list", "pause my plan for a month"]
        _ = try retrieveTogetherResults(try await retrieveTogether(gantry, encoder, first: first, others: others))
        let calls = encoder.recordedCalls
        #expect(Array(calls.prefix(first.count)) == first.map { [$0] })
        // Passes after the held ones may run side by side, so their calls come in either order.
        #expect(Set(calls.dropFirst(first.count)) == [Array(others[0..<2]), Array(others[2..<4]), [others[4]]] && calls.count == first.count + 3)
        #expect(gantry.queryBatchStatistics == QueryBatchStatistics(passes: first.count + 3, texts: first.count + 5, largestPass: 2))
    }

    /// A text the encoder refuses fails its own retrieval only: the failed pass is retried text
    /// by text.
    @Test func aTextTheEncoderRefusesFailsItsOwnRetrievalOnly() async throws {
        let encoder = try GatedEncoder(refusing: "the refused text")
        let gantry = try await gantry(encoder)
        let first = firstTexts(gantry)
        let others = ["refund my last payment", "the refused text", "restart the production service"]
        let results = try await retrieveTogether(gantry, encoder, first: first, others: others)
        #expect(encoder.recordedCalls == first.map { [$0] } + [others] + others.map { [$0] })
        for (index, result) in results.dropFirst(first.count).enumerated() {
            switch result {
            case .success: #expect(index != 1)
            case .failure(let error):
                #expect(index == 1)
                guard case .embedding(let message)? = error as? GantryError else { Issue.record("\(error)"); continue }
                #expect(message.contains("refused for the test"))
            }
        }
        #expect(results.prefix(first.count).allSatisfy { (try? $0.get()) != nil })
    }

    /// With one pass at a time, a pass on a caller's thread hands the texts that queued meanwhile
    /// to the batcher's thread; a lone query afterwards is encoded on its caller's thread again;
    /// the batcher goes when its last user lets go of it (its threads hold it weakly).
    @Test func aCallersPassHandsTheQueueOnAndTheBatcherGoes() async throws {
        let encoder = try GatedEncoder(), calledOn = ThreadsCalledOn()
        weak var gone: QueryBatcher?
        do {
            let batcher = QueryBatcher(batchLimit: 16, passLimit: 1) { (texts) throws(GantryError) in
                calledOn.record()
                do {
                    let vectors = try encoder.embed(texts)
                    return (0..<texts.count).map { Array(vectors.row($0)) }
                } catch { throw .embedding("\(error)") }
            }
            gone = batcher
            encoder.hold(calls: 1)
            defer { encoder.release() }
            let thread = GateThread()
            let callers = ThreadsCalledOn()
            var tasks = [Task(executorPreference: thread) { () async throws(GantryError) -> [Float] in
                callers.record()  // a caller's pass runs on its thread: no suspension before it
                return try await batcher.vector(for: "upload this file")
            }]
            try await waitUntil("the first text reaches the encoder") { encoder.heldCalls == 1 }
            let others = ["refund my last payment", "restart the production service", "book a meeting for friday"]
            for (index, text) in others.enumerated() {
                tasks.append(Task { try await batcher.vector(for: text) })
                try await waitUntil("text \(index + 1) waits for a pass") { batcher.waitingCount == index + 1 }
            }
            encoder.release()
            try await waitUntil("the queued texts are handed on") { batcher.statistics.texts == 1 + others.count }
            for task in tasks { _ = try await task.value }
            #expect(encoder.recordedCalls == [["upload this file"], others])
            try await waitUntil("the batcher's thread ends its passes") { batcher.runningCount == 0 }
            callers.record()
            _ = try await batcher.vector(for: "send an email to the list")
            let (passes, asking) = (calledOn.threads, callers.threads)
            #expect(passes.count == 3 && asking.count == 2)
            #expect(pthread_equal(passes[0], asking[0]) != 0 && pthread_equal(passes[1], asking[0]) == 0 && pthread_equal(passes[2], asking[1]) != 0)
            #expect(batcher.statistics == QueryBatchStatistics(passes: 3, texts: 5, largestPass: 3))
        }
        try await waitUntil("the batcher goes") { gone == nil }
    }

    /// `queryBatchLimit` outside 1...1024 is refused.
    @Test func aBatchLimitOutsideItsRangeIsRefused() throws {
        for limit in [0, -1, 1_025] {
            var configuration = GantryConfiguration(storePath: nil)
            configuration.queryBatchLimit = limit
            #expect(throws: GantryError.self) { try configuration.validate() }
        }
    }

    func retrieveTogetherResults(_ results: [Result<[String], any Error>]) throws -> [[String]] {
        try results.map { try $0.get() }
    }
}
