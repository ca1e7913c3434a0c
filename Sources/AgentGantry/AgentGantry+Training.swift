import Foundation
import GantryAdapt
import GantryMath

extension AgentGantry {
    /// Fewest feedback events `train()` trains on.
    public static let minimumTrainingEvents = 20

    /// Folds the stored feedback into the adapter: every feedback event is a training query
    /// (its frozen embedding) with its correct tool, and the tool picked wrongly as an explicit
    /// negative. Events past `retentionDays` are purged first. Training runs off the actor, so
    /// retrieval continues meanwhile; the new adapter is applied only if it beats the identity on
    /// the held-out feedback (never worse), and only if none of the events it trained on was
    /// deleted meanwhile (`forget(user:)` or retention, in any process): then it is stored as
    /// a new version (`adapterVersions()`), the catalog re-adapted and the index swapped in one step.
    public func train() async throws(GantryError) -> TrainingSummary {
        try store.checkWritable()  // before minutes of training whose adapter could not be stored
        try purgeExpiredEvents()
        let names = catalog.names.sorted()
        let row = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let model = embedder.modelIdentity, dimension = embedder.dimension
        let (stored, highestEventID, feedbackCount) = try store.feedbackEventsAndHighestID()
        let sameModel = stored.filter { $0.model == model && $0.queryVector.count == dimension }
        let otherModel = stored.count - sameModel.count
        let events = sameModel.filter { row[$0.correctTool] != nil }
        func notApplied(_ reason: String, _ report: TrainingReport? = nil) -> TrainingSummary {
            TrainingSummary(events: events.count, applied: false, reason: reason, report: report, otherModelEvents: otherModel)
        }
        guard events.count >= Self.minimumTrainingEvents else {
            return notApplied("\(events.count) usable feedback events; training needs at least \(Self.minimumTrainingEvents)")
        }
        guard names.count >= 2 else { return notApplied("fewer than 2 tools") }
        let tools: Matrix, queries: Matrix
        do {
            tools = try Matrix(rowArrays: names.map { catalog[$0]!.vector })
            // Unit vectors, as the feedback memory uses them (an imported vector may be of any
            // finite scale; the trainer's cosine needs no other).
            queries = try Matrix(rowArrays: events.map { event in
                var vector = event.queryVector
                try? SIMDKernels.normalize(&vector)
                return vector
            })
        } catch {
            throw .invalidInput("\(error)")
        }
        let examples = try adaptError { () throws(AdaptError) in
            try TrainingExamples(queries: queries, positives: events.map { [row[$0.correctTool]!] },
                                 explicitNegatives: events.map { event in
                                     event.type == .toolSelectionError ? event.selectedTool.flatMap { row[$0] }.map { [$0] } ?? [] : []
                                 })
        }
        // Training allocates hundreds of MB on a worker thread; glibc keeps freed memory in that
        // thread's arena unless asked (the soak measured +25 MB of resident memory per train()).
        defer { releaseFreedMemory() }
        let trainer = TripletTrainer(configuration.training)
        let result = await Task.detached { () -> Result<(adapter: LowRankAdapter, report: TrainingReport), AdaptError> in
            Result { () throws(AdaptError) in try trainer.train(tools: tools, toolIDs: names, examples: examples) }
        }.value
        let (trained, report) = try adaptError { () throws(AdaptError) in try result.get() }
        guard report.bestEpoch > 0 else { return notApplied("no epoch beat the current embeddings on the held-out feedback", report) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let reportJSON = String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
        let bytes = AdapterFile.encode(trained, modelIdentity: embedder.modelIdentity,
                                       trainingJSON: String(decoding: (try? encoder.encode(configuration.training)) ?? Data(), as: UTF8.self),
                                       metricsJSON: reportJSON)
        // Build the re-adapted index first; store (unless events it saw were deleted while it
        // trained), then replace adapter and index together.
        let fresh = try adaptedIndex(by: trained)
        let record = AdapterRecord(file: bytes, trainedAt: configuration.clock.now(), highestEventID: highestEventID, trainedEvents: events.count, report: reportJSON)
        guard let version = try store.saveAdapter(record, feedbackCount: feedbackCount) else {
            try dropDeletedEvents()  // deleted here or by another process: serve what is left
            return notApplied("feedback events it was trained on were deleted while it trained (forget(user:) or retention); "
                              + "nothing was stored: train again", report)
        }
        (adapter, adapterVersion, index) = (trained, version, fresh)
        return TrainingSummary(events: events.count, applied: true, reason: nil, report: report, otherModelEvents: otherModel,
                               adapterVersion: version)
    }

    /// The stored adapter versions, newest first (at most 3): what each was trained on and
    /// whether it was withdrawn because events it saw were deleted since.
    public func adapterVersions() throws(GantryError) -> [AdapterVersion] {
        try store.adapterVersions().map(\.view)
    }
}

#if canImport(Glibc)
@_silgen_name("malloc_trim") private func malloc_trim(_ pad: Int) -> Int32
#endif

/// Hands memory freed by the allocator back to the system (glibc: `malloc_trim`).
private func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = malloc_trim(0)
    #endif
}
