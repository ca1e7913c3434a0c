import Foundation

/// Query texts that miss the cache while the encoder is busy wait and go into a forward pass
/// together: one pass over many short texts streams the encoder's weights once for all of them
/// (MiniLM at bfloat16 on AMX tiles, texts of 13 tokens: about 1.7× the sentences per second of
/// one text per pass on a core).
///
/// There is no timer. A query that finds no pass running is encoded at once, alone, on its
/// caller's thread. One that finds a pass running waits: while fewer than `passLimit` passes run
/// (one per core), a pass starts for it at once on one of the batcher's own threads; when every
/// pass is taken, the queries that arrive wait together, and the next pass to end takes them (at
/// most `batchLimit` texts a pass). The batcher's threads, started as load first needs them and
/// parked between passes, keep encoding off the threads that run tasks, so waiting queries hold no
/// thread and new ones can always join the queue. Texts of one pass with the same bytes are
/// encoded once. A pass that fails is retried text by text, so that one text the encoder refuses
/// fails its own caller only.
final class QueryBatcher: @unchecked Sendable {
    /// Encodes texts in one pass: a result for each, in order. Throws when the pass fails as a
    /// whole (the texts are then tried one at a time).
    typealias Encode = @Sendable ([String]) throws(GantryError) -> [[Float]]

    /// The most texts one pass takes (1: no batching — every text is encoded at once on its
    /// caller's thread, beside any other caller's pass).
    let batchLimit: Int
    /// The most passes that run at once.
    let passLimit: Int
    private let encode: Encode
    private let lock = NSLock()
    /// Passes running (on a caller's thread or the batcher's), and threads started.
    private var running = 0, threads = 0
    private var waiting = [Waiter]()
    private var served = QueryBatchStatistics(passes: 0, texts: 0, largestPass: 0)
    /// One signal per pass handed to the batcher's threads, and one per thread when the batcher
    /// goes, to let them end.
    private let wake = DispatchSemaphore(value: 0)

    private struct Waiter {
        let text: String
        let continuation: CheckedContinuation<Result<[Float], GantryError>, Never>
    }

    init(batchLimit: Int, passLimit: Int, encode: @escaping Encode) {
        precondition(batchLimit >= 1 && passLimit >= 1)
        (self.batchLimit, self.passLimit, self.encode) = (batchLimit, passLimit, encode)
    }

    deinit {
        for _ in 0..<threads { wake.signal() }
    }

    /// The vector of `text`: encoded at once on this thread when no pass runs, else in a pass on
    /// the batcher's threads.
    func vector(for text: String) async throws(GantryError) -> [Float] {
        guard batchLimit > 1 else {
            lock.withLock { served.count(passOf: 1) }
            return try encodeDistinct([text])[0].get()
        }
        if lock.withLock({ () -> Bool in
            guard running == 0 else { return false }
            running = 1
            return true
        }) {
            let result = encodeDistinct([text])[0]
            let startsThread = lock.withLock { () -> Bool? in
                served.count(passOf: 1)
                running -= 1
                return waiting.isEmpty ? nil : startPass()
            }
            if let startsThread { handOverPass(startingThread: startsThread) }
            return try result.get()
        }
        return try await withCheckedContinuation { (continuation: CheckedContinuation<Result<[Float], GantryError>, Never>) in
            let startsThread = lock.withLock { () -> Bool? in
                waiting.append(Waiter(text: text, continuation: continuation))
                return running < passLimit ? startPass() : nil
            }
            if let startsThread { handOverPass(startingThread: startsThread) }
        }.get()
    }

    /// How the batcher has served since it was made.
    var statistics: QueryBatchStatistics {
        lock.withLock { served }
    }

    /// Callers waiting for a pass now (a moment's reading).
    var waitingCount: Int { lock.withLock { waiting.count } }

    /// Passes running now (a moment's reading).
    var runningCount: Int { lock.withLock { running } }

    /// Counts a pass for the batcher's threads (under `lock`); whether a thread must be started
    /// for it.
    private func startPass() -> Bool {
        running += 1
        guard running > threads else { return false }
        threads += 1
        return true
    }

    /// Hands a pass counted by `startPass()` to the batcher's threads (outside `lock`).
    private func handOverPass(startingThread: Bool) {
        if startingThread {
            let thread = Thread { [weak self, wake] in
                while true {
                    wake.wait()
                    guard let batcher = self else { return }
                    batcher.runPasses()
                }
            }
            thread.name = "gantry-queries"
            thread.qualityOfService = .userInitiated
            thread.start()
        }
        wake.signal()
    }

    /// Passes over the waiting texts, `batchLimit` at a time, until none waits.
    private func runPasses() {
        while true {
            let batch = lock.withLock { () -> [Waiter] in
                let taken = Array(waiting.prefix(batchLimit))
                waiting.removeFirst(taken.count)
                if taken.isEmpty { running -= 1 }
                return taken
            }
            guard !batch.isEmpty else { return }
            let results = encodeDistinct(batch.map(\.text))
            lock.withLock { served.count(passOf: batch.count) }
            for (waiter, result) in zip(batch, results) { waiter.continuation.resume(returning: result) }
        }
    }

    /// A result for each of `texts`, each distinct text encoded once: in one pass, or one by one
    /// when the pass fails.
    private func encodeDistinct(_ texts: [String]) -> [Result<[Float], GantryError>] {
        guard texts.count > 1 else { return texts.map { text in Result { () throws(GantryError) in try encodeCounted([text])[0] } } }
        var distinct = [String](), slot = [QueryEmbeddingCache.Key: Int]()
        let slots = texts.map { text in
            let key = QueryEmbeddingCache.Key(text)
            if let known = slot[key] { return known }
            slot[key] = distinct.count
            distinct.append(text)
            return distinct.count - 1
        }
        let vectors: [Result<[Float], GantryError>]
        do throws(GantryError) {
            vectors = try encodeCounted(distinct).map { .success($0) }
        } catch {
            vectors = distinct.count == 1 ? [.failure(error)] : distinct.map { text in
                Result { () throws(GantryError) in try encodeCounted([text])[0] }
            }
        }
        return slots.map { vectors[$0] }
    }

    /// `encode(texts)`, refused unless it gives one vector per text.
    private func encodeCounted(_ texts: [String]) throws(GantryError) -> [[Float]] {
        let encoded = try encode(texts)
        guard encoded.count == texts.count else {
            throw .embedding("the encoder returned \(encoded.count) vectors for \(texts.count) query texts")
        }
        return encoded
    }
}

/// How a gantry's queries have shared the encoder's passes since it opened
/// (`GantryConfiguration.queryBatchLimit`): queries that miss the query cache while every pass
/// is taken go together into the next one.
public struct QueryBatchStatistics: Sendable, Equatable {
    /// Forward passes run for queries.
    public var passes: Int
    /// Query texts encoded by them.
    public var texts: Int
    /// The most texts one pass took.
    public var largestPass: Int
}

extension QueryBatchStatistics {
    /// Counts a pass over `size` texts.
    mutating func count(passOf size: Int) {
        (passes, texts, largestPass) = (passes + 1, texts + size, max(largestPass, size))
    }
}
