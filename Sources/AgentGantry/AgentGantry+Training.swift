import Foundation
import GantryAdapt
import GantryMath

extension AgentGantry {
    /// Fewest distinct requests of feedback `train()` trains on with `configuration`: enough that
    /// the gate fold holds `TrainingGate.minimumRequests` of them.
    /// (`GantryConfiguration.validate()` refuses settings under which there is none.)
    public static func minimumTrainingRequests(_ configuration: TrainingConfiguration) -> Int {
        RequestSplit.minimumRequests(configuration, gateRequests: TrainingGate.minimumRequests) ?? .max
    }

    /// Folds the stored feedback into the adapter: every feedback event is a training query
    /// (its frozen embedding) with its correct tool, and the tool picked wrongly as an explicit
    /// negative; so is every recorded retrieval that a report names with a successful call (its
    /// record's query with the tools that succeeded; wrong tools, and tools that failed before
    /// another one succeeded, as negatives: `ReportedExample`), each success weighted by the
    /// inverse of how often the position it was shown at is looked at (`PositionBias`). Events
    /// past `retentionDays` are purged first; records past `retrievalRetentionDays` are left out.
    ///
    /// The events are split by distinct request (`RequestSplit`: equal text or near-duplicate
    /// query vectors): a training fold, a selection fold that picks the checkpoint, and a gate
    /// fold on which `TrainingGate` compares the new adapter with the state being served (the
    /// current adapter, or the frozen embeddings) — only on requests the served adapter was not
    /// trained on (feedback and reports newer than it), so that it is not judged on what it
    /// learned. The adapter is applied only if it beats that state on the gate's requests by
    /// `configuration.training.gateMargin`, conclusively; when it does not, the summary says why
    /// and, where more feedback would settle it, about how many more distinct requests
    /// (`TrainingSummary.moreRequestsNeeded`). It is also applied only if none of the events or
    /// reports it trained on was deleted meanwhile (`forget(user:)` or retention, in
    /// any process): then it is stored as a new version (`adapterVersions()`), the catalog
    /// re-adapted and the index swapped in one step. Training runs off the actor, so retrieval
    /// continues meanwhile.
    public func train() async throws(GantryError) -> TrainingSummary {
        try store.checkWritable()  // before minutes of training whose adapter could not be stored
        try await purgeExpiredEvents()
        // The catalogue as of now: the actor takes other calls while the store reads below, and a
        // tool removed meanwhile must not be looked up again.
        let names = catalog.names.sorted()
        let toolVectors = names.map { catalog[$0]!.vector }, lexical = catalog.lexical
        let row = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let model = embedder.modelIdentity, dimension = embedder.dimension
        let (stored, highestEventID, feedbackCount) = try await store.feedbackEventsAndHighestID()
        let sameModel = stored.filter { $0.model == model && $0.queryVector.count == dimension }
        let otherModel = stored.count - sameModel.count
        let events = sameModel.filter { row[$0.correctTool] != nil }
        let reported = try await store.reportedRetrievals()
        // Records past their retention are left out (the hourly purge deletes them).
        let cutoff = configuration.retrievalCutoff(at: configuration.clock.now())
        let usable = reported.records.filter { $0.model == model && $0.queryVector.count == dimension && $0.at >= cutoff }
        let learned = ReportedExample.examples(records: usable, reports: reported.reports).compactMap { example -> ReportedExample? in
            var example = example
            example.positives.removeAll { row[$0.tool] == nil }
            return example.positives.isEmpty ? nil : example
        }
        let bias = PositionBias.estimate(records: reported.records, reports: reported.reports)
        let settings = configuration.training
        var summary = TrainingSummary(events: events.count, applied: false, otherModelEvents: otherModel)
        summary.unregisteredToolEvents = sameModel.count - events.count
        summary.reportedRetrievals = learned.count
        summary.positionPropensities = bias == .uniform ? nil : bias.propensities
        func notApplied(_ reason: String, report: TrainingReport? = nil, moreRequests: Int? = nil) -> TrainingSummary {
            var result = summary
            (result.reason, result.report, result.gate, result.moreRequestsNeeded) = (reason, report, report?.gate, moreRequests)
            return result
        }
        guard names.count >= 2 else { return notApplied("fewer than 2 tools") }
        let tools: Matrix, examples: TrainingExamples
        do {
            tools = try Matrix(rowArrays: toolVectors)
            // Unit vectors, as the feedback memory uses them (an imported vector may be of any
            // finite scale; the trainer's cosine needs no other).
            let queries = try Matrix(rowArrays: (events.map(\.queryVector) + learned.map(\.record.queryVector)).map { vector in
                var vector = vector
                try? SIMDKernels.normalize(&vector)
                return vector
            }, cols: dimension)
            examples = try adaptError { () throws(AdaptError) in
                try TrainingExamples(queries: queries,
                                     positives: events.map { [row[$0.correctTool]!] } + learned.map { $0.positives.map { row[$0.tool]! } },
                                     positiveWeights: events.map { _ in [1] } + learned.map { $0.positives.map { bias.weight(rank: $0.rank) } },
                                     explicitNegatives: events.map { event in event.wrongTool.flatMap { row[$0] }.map { [$0] } ?? [] }
                                         + learned.map { ($0.negatives + $0.passedOver).compactMap { row[$0] } },
                                     texts: events.map(\.query) + learned.map(\.record.query))
            }
        } catch let error as GantryError {
            throw error
        } catch {
            throw .invalidInput("\(error)")
        }
        // Grouping (a pass over all pairs of queries), training and the gate run off the actor,
        // so retrieval continues meanwhile. Training allocates hundreds of MB on a worker thread;
        // glibc keeps freed memory in that thread's arena unless asked (the soak measured +25 MB
        // of resident memory per train()).
        defer { releaseFreedMemory() }
        let trainer = TripletTrainer(settings), served = adapter, needed = Self.minimumTrainingRequests(settings)
        // What the served adapter was trained on (the gate must not judge it on those requests).
        var servedRecord: AdapterRecord?
        if let version = adapterVersion { servedRecord = try await store.adapterVersions().first { $0.version == version } }
        let unseenByServed: [Bool]? = servedRecord.map { record in
            events.map { $0.id > record.highestEventID } + learned.map { $0.firstSuccess > (record.highestRetrievalReportID ?? 0) }
        }
        let (weights, memorySettings, now) = (configuration.weights, configuration.feedbackMemory, configuration.clock.now())
        let result = await Task.detached { () -> Result<TrainingOutcome, AdaptError> in
            Result { () throws(AdaptError) in
                let groups = try RequestGroups(texts: examples.texts, vectors: examples.queries, nearDuplicateCosine: settings.nearDuplicateCosine)
                guard groups.count >= needed else { return .tooFewRequests(groups.count) }
                let split = try RequestSplit(groups: groups, configuration: settings, holdingOutGate: true,
                                             gateCandidates: unseenByServed.map { groups.requestsOnlyOf(examplesWhere: $0) })
                var (trained, report) = try trainer.train(tools: tools, toolIDs: names, examples: examples, split: split)
                if report.bestEpoch > 0 {  // else the identity: nothing to decide
                    report.gate = try TrainingGate.decide(candidate: trained, current: served, tools: tools, toolIDs: names, examples: examples,
                                                          split: split, margin: settings.gateMargin, confidence: settings.gateConfidence)
                }
                let fusion = report.gate?.passed == true
                    ? try LexicalWeightChoice.choose(adapter: trained, tools: tools, names: names, lexical: lexical, examples: examples,
                                                     queryTerms: events.map(LexicalWeightChoice.queryTerms)
                                                         + learned.map { LexicalWeightChoice.queryTerms(of: $0.record) }, split: split,
                                                     configuration: settings) : nil
                var reach: MemoryReachChoice.Outcome?
                if report.gate?.passed == true {
                    do {
                        reach = try MemoryReachChoice.choose(adapter: trained, tools: tools, names: names, events: events, reports: learned, examples: examples,
                                                             split: split, nearDuplicateCosine: settings.nearDuplicateCosine, weights: weights,
                                                             settings: memorySettings, at: now)
                    } catch { throw .invalidSetting("choosing the feedback memory's reach: \(error)") }
                }
                return .trained(trained, report, fusion, reach, requests: groups.count)
            }
        }.value
        let trained: LowRankAdapter, fusion: FusionWeightSelection.Outcome?, reach: MemoryReachChoice.Outcome?
        var report: TrainingReport
        switch try adaptError({ () throws(AdaptError) in try result.get() }) {
        case .tooFewRequests(let requests):
            summary.requests = requests
            let leftOut = summary.unregisteredToolEvents > 0
                ? " (\(summary.unregisteredToolEvents) more name correct tools that are not registered)" : ""
            let from = learned.isEmpty ? "\(events.count) usable feedback events"
                : "\(events.count) usable feedback events and \(learned.count) retrievals with a successful call"
            return notApplied("\(requests) distinct requests among \(from)\(leftOut); training needs at "
                              + "least \(needed), so that \(TrainingGate.minimumRequests) can be held out to decide whether the adapter is "
                              + "better (events with equal text, equal query vectors or vectors at cosine ≥ \(settings.nearDuplicateCosine) — "
                              + "training.nearDuplicateCosine — are one request)", moreRequests: needed - requests)
        case let .trained(adapter, trainingReport, fusionOutcome, reachOutcome, requests):
            (trained, report, fusion, reach, summary.requests) = (adapter, trainingReport, fusionOutcome, reachOutcome, requests)
        }
        guard let gate = report.gate else {
            let held = "the \(report.selectionRequests) requests held out for selection"
            return notApplied(report.identityValidation.mrrAt10 == 1
                              ? "the frozen embeddings already rank \(held) perfectly: nothing to improve on them"
                              : "no epoch beat the frozen embeddings on \(held): nothing learned from the other \(report.trainingRequests) "
                                + "carried over to them; feedback on more distinct requests is needed (these give no estimate of how many)",
                              report: report)
        }
        if let served, trained == served {
            return notApplied("training gave the adapter already served (version \(adapterVersion.map(String.init) ?? "?")): the feedback "
                              + "since it was trained changes nothing", report: report)
        }
        if !gate.passed, gate.requests < TrainingGate.minimumRequests, let servedRecord {
            // The gate holds only requests newer than the served adapter, and there are too few.
            let new = unseenByServed?.count(where: \.self) ?? 0
            let more = Int((Double(TrainingGate.minimumRequests - gate.requests) / settings.gateFraction).rounded(.up))
            return notApplied("not applied: \(new == 0 ? "no" : "too little") feedback since the served adapter (version "
                              + "\(servedRecord.version ?? 0)) to judge a new one on: \(gate.requests) held-out requests it was not "
                              + "trained on, at least \(TrainingGate.minimumRequests) needed; about \(more) more distinct requests of "
                              + "feedback would let it decide", report: report, moreRequests: more)
        }
        guard gate.passed else {
            // The gate holds `gateFraction` of the requests up to `gateRequestsLimit`: once there,
            // more feedback does not give it more requests to decide on.
            let atLimit = gate.requests >= settings.gateRequestsLimit
            let more = atLimit ? nil : gate.moreHeldOutRequestsNeeded.map { Int((Double($0) / settings.gateFraction).rounded(.up)) }
            let advice: String
            if let more {
                advice = "; about \(more) more distinct requests of feedback would settle it"
            } else if atLimit, gate.moreHeldOutRequestsNeeded != nil {
                advice = "; the gate holds its limit of \(settings.gateRequestsLimit) requests (training.gateRequestsLimit): raise it to "
                    + "decide on more of the feedback there is"
            } else {
                advice = "; more feedback on new requests may change this (these give no estimate of how much)"
            }
            return notApplied("not applied: " + gate.explanation + advice, report: report, moreRequests: more)
        }
        // A weight is kept with the adapter (in its report) only when it beat the prior on the gate's requests.
        let learnedWeight = fusion?.gate?.passed == true ? fusion?.weight : nil
        report.lexicalWeight = learnedWeight
        report.memoryReach = reach?.reach
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let reportJSON = String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
        let bytes = AdapterFile.encode(trained, modelIdentity: embedder.modelIdentity,
                                       trainingJSON: String(decoding: (try? encoder.encode(settings)) ?? Data(), as: UTF8.self),
                                       metricsJSON: reportJSON)
        // Build the re-adapted index first (and save its graph, so processes that follow load
        // it); store (unless events it saw were deleted while it trained), then replace adapter
        // and index together.
        var fresh = try adaptedIndex(by: trained, savedFirst: true)
        let indexedRevision = catalog.revision
        var record = AdapterRecord(file: bytes, trainedAt: configuration.clock.now(), highestEventID: highestEventID, trainedEvents: events.count, report: reportJSON)
        if !learned.isEmpty { record.noteRetrievalReports(upTo: reported.highestReportID) }
        guard let version = try await store.saveAdapter(record, feedbackCount: feedbackCount, reportCount: reported.reportCount) else {
            try await catchUp()  // deleted here or by another process: serve what is left
            return notApplied("feedback events or retrieval reports it was trained on were deleted while it trained (forget(user:) or retention); "
                              + "nothing was stored: train again", report: report)
        }
        // The actor took other calls while the store wrote: a catch-up may have served this
        // version or a newer one already, and tools changed meanwhile are not in `fresh`.
        if (adapterVersion ?? 0) < version {
            if catalog.revision != indexedRevision { fresh = try adaptedIndex(by: trained) }
            (adapter, adapterVersion, index) = (trained, version, fresh)
            adapterChoices = .init(lexicalWeight: learnedWeight, memoryReach: reach?.reach)
            publish()
        }
        summary.applied = true
        (summary.report, summary.gate, summary.adapterVersion) = (report, gate, version)
        (summary.lexicalWeight, summary.lexicalWeightReason) = (learnedWeight, fusion?.reason)
        (summary.feedbackMemoryThreshold, summary.feedbackMemoryThresholdReason) = (reach?.reach, reach?.reason)
        return summary
    }

    /// The adapter version this process serves (nil: the frozen embeddings). Another process's
    /// newer version is served here after the next `followStore()`.
    public nonisolated var servedAdapterVersion: Int64? {
        get async { published.current.adapterVersion }
    }

    /// The stored adapter versions, newest first (at most 3): what each was trained on and
    /// whether it was withdrawn because events it saw were deleted since.
    public func adapterVersions() async throws(GantryError) -> [AdapterVersion] {
        try await store.adapterVersions().map(\.view)
    }
}

#if canImport(Glibc)
@_silgen_name("malloc_trim") private func malloc_trim(_ pad: Int) -> Int32
#endif

/// What `train()`'s work off the actor ended with.
private enum TrainingOutcome: Sendable {
    /// Fewer distinct requests than training needs (their count).
    case tooFewRequests(Int)
    /// The trainer's adapter and report (with the gate's decision when an epoch was chosen), and
    /// the lexical weight and the feedback memory's reach chosen with it when the gate passed it.
    case trained(LowRankAdapter, TrainingReport, FusionWeightSelection.Outcome?, MemoryReachChoice.Outcome?, requests: Int)
}

/// Hands memory freed by the allocator back to the system (glibc: `malloc_trim`).
private func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = malloc_trim(0)
    #endif
}
