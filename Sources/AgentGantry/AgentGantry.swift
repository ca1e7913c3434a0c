import Foundation
import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath

/// Tool routing that learns from use. Register tools, ask for the right ones for a request,
/// and tell it what was wrong or how calls went; it adapts at once (feedback memory, health,
/// preferences) and, on `train()`, folds the stored feedback into a low-rank adapter.
///
/// The actor keeps the working state and applies every change to it: its own writes and other
/// processes' alike, read back from the store's log (`catchUp()`); after each it publishes a
/// `RoutingSnapshot`. Retrievals read the published snapshot outside the actor, on the
/// caller's thread, so they run on every core and never wait for a write. `Ranker` ranks
/// (`Routing/`), `LearnedState` folds the event log (`Learning/`), `SQLiteStore` keeps
/// everything durable and `EventWriter` commits events in groups (`Store/`). Everything
/// learned is in the store and survives a restart.
public actor AgentGantry {
    /// The settings this instance was opened with (validated by `init`; fixed for its life).
    public let configuration: GantryConfiguration
    /// The embedder of queries and tools: the `MiniLMEncoder` loaded from
    /// `configuration.modelDirectory`, or the one given to `init`. Its `modelIdentity` and
    /// `dimension` are recorded with every stored vector.
    public nonisolated let embedder: any Embedder
    let store: any GantryStore
    /// Feedback and execution events on their way to the store (group commit).
    let writer: EventWriter
    /// What retrievals read: the state below as of the last change applied.
    nonisolated let published: SnapshotCell
    /// The probes and session intents retrievals hand out in this process.
    nonisolated let local = LocalRoutingState()
    /// Recent query texts' frozen embeddings (`GantryConfiguration.queryCacheEntries`).
    nonisolated let queryCache: QueryEmbeddingCache
    /// Retrievals' query texts that miss the cache, encoded together while the encoder is busy
    /// (`GantryConfiguration.queryBatchLimit`).
    nonisolated let queryBatcher: QueryBatcher
    /// This process's retrieval ids, its last retrieval records, and when records were last purged by age.
    nonisolated let retrievalIDs: RetrievalIDs
    nonisolated let recentRetrievals: RecentRetrievals
    nonisolated let retrievalPurge: RetrievalPurgeSchedule
    /// The registered tools and their frozen embeddings.
    var catalog = ToolCatalog()
    var adapter: LowRankAdapter?
    /// The stored version `adapter` was loaded from or saved as (nil with the identity).
    var adapterVersion: Int64?
    /// The lexical weight and the feedback memory's reach `train()` chose with `adapter`, kept in
    /// its report (each nil: none, the prior serves).
    var adapterChoices = AdapterRecord.LearnedChoices()
    /// The tools' adapted vectors.
    var index: ToolIndex
    /// The slots of `catalog`'s lexical index and of `index` linked, when hybrid retrieval was
    /// last published (rebuilt at a publication where either changed).
    var slotLinks: SlotLinks?
    /// Where the HNSW graph of `index` is kept between opens (stores opened from a file).
    let indexCache: ToolIndexCache?
    /// How the last full index of `adaptedIndex(by:)` came about, and its write to `indexCache`.
    var indexOrigin = IndexOrigin.built
    var indexSave: Task<Void, Never>?
    /// The feedback memory's graph being built (`buildMemoryGraphs()`), if any.
    var memoryGraphBuild: Task<Void, Never>?
    var state: LearnedState
    /// Rows this open left out without moving them: damaged rows of a read-only store (which
    /// cannot move them to quarantine), and tools the embedder could not embed again (kept as
    /// they are, tried again at the next open).
    var setAside = [QuarantinedRow]()
    /// The tools in `setAside`: stored, not served; `register` embeds them again, `remove` deletes them.
    var setAsideTools = Set<String>()
    /// The store's change counter when this process last followed it (`followStore()`).
    var followedChanges: Int?
    /// How far this process has applied the store's log (`catchUp()`).
    var position = LogPosition()
    /// The catch-up under way, if any (one runs at a time), and how many have started and finished.
    var runningCatchUp: Task<Result<Void, GantryError>, Never>?
    var catchUpsStarted = 0, catchUpsFinished = 0
    /// Runs `followStore()` every `configuration.followInterval` while this gantry exists, and
    /// whenever the store says another process committed (`changeNotifications()`).
    private var follower: Task<Void, Never>?, notifiedFollower: Task<Void, Never>?

    /// Opens the store (`configuration.storePath`), loads the model (or uses `embedder`), and
    /// restores tools, adapter, feedback memory, health and preferences. Processes opening one
    /// store at once open it one after another (`<store>.open-lock`): migrations, the model check,
    /// re-embedding and the retention purge of one open never interleave with another's.
    public init(configuration: GantryConfiguration = GantryConfiguration(), embedder: (any Embedder)? = nil) async throws(GantryError) {
        try configuration.validate()
        let servedModel = embedder == nil ? configuration.storePath.flatMap(SQLiteStore.servedModel(atPath:)) : nil
        let embedder = try Self.resolve(embedder, configuration, servedModel: servedModel)
        let prefetch = configuration.cachesToolIndex
            ? configuration.storePath.map { ToolIndexCache(store: $0).prefetch(dimension: embedder.dimension) } : nil
        let openLock = try StoreFileLock.taken(forStore: configuration.storePath, for: .open)
        defer { openLock?.release() }
        // The model is checked before the file is migrated, so a store refused for its model keeps its bytes.
        let store = try SQLiteStore(path: configuration.storePath,
                                    admission: ModelAdmission(model: embedder.modelIdentity, dimension: embedder.dimension,
                                                              reembedOnModelChange: configuration.reembedOnModelChange))
        let indexCache = configuration.cachesToolIndex
            ? configuration.storePath.map { ToolIndexCache(store: $0, writable: !store.isReadOnly) } : nil
        try await self.init(configuration: configuration, embedder: embedder, opened: store, indexCache: indexCache, prefetch: prefetch)
    }

    /// Opens on `store`, an open ``GantryStore`` (``SQLiteStore``, or a store shared by many
    /// hosts), instead of the file of `configuration.storePath`, which is not used. The model
    /// check, re-embedding and the retention purge run under the store's opening lock, as with
    /// `init(configuration:embedder:)`.
    public init(configuration: GantryConfiguration = GantryConfiguration(), embedder: (any Embedder)? = nil,
                store: any GantryStore) async throws(GantryError) {
        try configuration.validate()
        let embedder = try Self.resolve(embedder, configuration, servedModel: embedder == nil ? try await store.servedModel() : nil)
        let openLock = try await store.takeOpeningLock()
        defer { openLock?.release() }
        try await store.admit(model: embedder.modelIdentity, dimension: embedder.dimension, reembedOnModelChange: configuration.reembedOnModelChange)
        try await self.init(configuration: configuration, embedder: embedder, opened: store, indexCache: nil, prefetch: nil)
    }

    /// `embedder`, or the MiniLM encoder of `configuration.modelDirectory` (`SharedEncoders`: one
    /// per precision in a process), checked. The encoder's precision is the one
    /// `GANTRY_ENCODER_PRECISION` asks for; unset, the one the store's tools were embedded at
    /// (`servedModel`, the identity most of them have), so that a process of another setting
    /// serves a store as its other processes do — without embedding its tools again or refusing
    /// its adapter; for a new store (or another model's), the default.
    private static func resolve(_ embedder: (any Embedder)?, _ configuration: GantryConfiguration,
                                servedModel: String?) throws(GantryError) -> any Embedder {
        let resolved: any Embedder
        do {
            if let embedder {
                resolved = embedder
            } else {
                let precision = try MiniLMEncoder.requestedPrecision() ?? servedModel.flatMap(MiniLMEncoder.precision(ofIdentity:))
                    ?? MiniLMEncoder.defaultPrecision()
                resolved = try SharedEncoders.encoder(directory: configuration.modelDirectory, precision: precision)
            }
        } catch { throw .embedding("\(error)") }
        guard Limits.dimensions.contains(resolved.dimension) else {
            throw .embedding("the embedder's dimension \(resolved.dimension) is outside \(Limits.dimensions)")
        }
        return resolved
    }

    /// Restores the state of `store`, admitted for `embedder` and with its opening lock held;
    /// `prefetch` reads the graph of `indexCache` meanwhile.
    private init(configuration: GantryConfiguration, embedder: any Embedder, opened store: any GantryStore,
                 indexCache: ToolIndexCache?, prefetch: Task<ToolIndexCache.Prefetched?, Never>?) async throws(GantryError) {
        self.configuration = configuration
        self.embedder = embedder
        self.store = store
        self.indexCache = indexCache
        queryCache = QueryEmbeddingCache(entryLimit: configuration.queryCacheEntries, byteLimit: configuration.queryCacheBytes)
        queryBatcher = QueryBatcher(batchLimit: configuration.queryBatchLimit, passLimit: ProcessInfo.processInfo.activeProcessorCount) {
            [embedder] (texts) throws(GantryError) in
            try Self.queryVectors(of: texts, by: embedder)
        }
        state = try LearnedState(settings: LearnedState.Settings(
            dimension: embedder.dimension, model: embedder.modelIdentity, memory: configuration.feedbackMemory,
            retrievalRetention: Double(configuration.retrievalRetentionDays) * 86_400, breaker: configuration.breaker,
            baseIntents: try? IntentClassifier(examples: IntentClassifier.defaultExamples) { try embedder.embed($0) }))
        index = try ToolIndex(dimension: embedder.dimension, hnsw: false)
        let keepQueryText = configuration.keepQueryText
        let recent = RecentRetrievals(capacity: configuration.recordsRetrievals ? Self.recentRetrievalCapacity : 0)
        writer = EventWriter(store: store, prepare: { Self.prepareForStore($0, keepQueryText: keepQueryText) }, gaveUp: { recent.remove($0) })
        retrievalIDs = RetrievalIDs { [store] () throws(GantryError) in try await store.reserveRetrievalBlock() }
        recentRetrievals = recent
        retrievalPurge = RetrievalPurgeSchedule(start: configuration.clock.now())
        published = SnapshotCell(RoutingSnapshot(catalog: ToolCatalog(), index: index, adapter: nil, adapterVersion: nil,
                                                 lexicalWeight: 0, memoryReach: FeedbackMemory.priorReach, links: nil, state: state))
        if let days = configuration.retentionDays {
            let cutoff = configuration.clock.now().addingTimeInterval(-Double(days) * 86_400)
            if store.isReadOnly {
                let expired = try await store.countEvents(before: cutoff)
                guard expired == 0 else {
                    throw .readOnlyStore("\(store.location) holds \(expired) events older than retentionDays (\(days)), which a "
                                         + "read-only store cannot purge: open it once with write access, or without retentionDays")
                }
            } else {
                _ = try await store.deleteEvents(before: cutoff)
            }
        }
        if !store.isReadOnly {
            _ = try await store.deleteRetrievals(before: configuration.retrievalCutoff(at: configuration.clock.now()))
        }
        followedChanges = try await store.changeCounter()
        try await restore(prefetch: prefetch)
        publish()
        if store.isShared, let interval = configuration.followInterval {
            follower = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    try? await self.followStore()
                }
            }
            if let notifications = store.changeNotifications() {
                notifiedFollower = Task { [weak self] in
                    for await _ in notifications {
                        guard let self else { return }
                        try? await self.followStore()
                    }
                }
            }
        }
    }

    deinit {
        follower?.cancel()
        notifiedFollower?.cancel()
        memoryGraphBuild?.cancel()
    }

    // MARK: registry

    /// The registered tools, by name (as of the last change this process applied).
    public nonisolated var tools: [Tool] {
        get async { published.current.catalog.entries.values.map(\.tool).sorted { $0.name < $1.name } }
    }

    /// The registered tool named `name` (exactly, as registered), nil when none is: a lookup in
    /// the published catalogue (as of the last change this process applied), without copying it.
    public nonisolated func tool(named name: String) -> Tool? {
        published.current.catalog[name]?.tool
    }

    /// Registers or updates one tool; searchable on return.
    public func register(_ tool: Tool) async throws(GantryError) {
        try await register([tool])
    }

    /// Registers or updates tools, all or nothing: validated, embedded (only those whose content
    /// fingerprint changed, in one batch), their vectors validated, stored in one transaction,
    /// then indexed. Nothing is stored unless every tool and every vector passed. Names,
    /// namespaces and tags are kept in Unicode NFC.
    public func register(_ tools: [Tool]) async throws(GantryError) {
        var normalized = [Tool]()
        for tool in tools { normalized.append(try tool.normalized()) }
        let tools = normalized
        guard Set(tools.map(\.name)).count == tools.count else { throw .invalidInput("a tool name appears twice in one registration") }
        let added = tools.count { !catalog.contains($0.name) }
        guard catalog.count + added <= Limits.tools else {
            throw .invalidInput("registering \(added) new tools would exceed the limit of \(Limits.tools) (\(catalog.count) registered)")
        }
        let changed = tools.filter { tool in catalog[tool.name].map { $0.tool.fingerprint != tool.fingerprint } ?? true }
        var vectors = [String: [Float]]()
        if !changed.isEmpty {
            let matrix: Matrix
            do { matrix = try embedder.embed(changed.map(\.embeddingText)) } catch { throw .embedding("\(error)") }
            guard matrix.rows == changed.count else { throw .embedding("the embedder returned \(matrix.rows) vectors for \(changed.count) texts") }
            for (i, tool) in changed.enumerated() {
                var vector = Array(matrix.row(i))
                try Limits.checkVector(vector, dimension: embedder.dimension, "the embedding of tool \(tool.name)")
                // Kept as a unit vector (a no-op for MiniLM's), so the adapter and the trainer
                // see the directions the index scores, whatever the embedder's scale.
                do { try SIMDKernels.normalize(&vector) } catch { throw .embedding("the embedding of tool \(tool.name): \(error)") }
                vectors[tool.name] = vector
            }
        }
        let entries = tools.map { (tool: $0, vector: vectors[$0.name] ?? catalog[$0.name]!.vector) }
        // Only new and changed tools are written: re-registering an unchanged definition that
        // another process removed or changed meanwhile (not followed here yet) writes nothing,
        // so that change stands, and this process applies it when it catches up below.
        let written = entries.filter { vectors[$0.tool.name] != nil }
        // Everything that can fail runs before the store is written: the adapted vectors too.
        func adaptedVectors() throws(GantryError) -> [[Float]] {
            var adapted = [[Float]]()
            for (tool, vector) in entries {
                let vector = try adaptedToolVector(tool.name, vector)
                try Limits.checkVector(vector, dimension: embedder.dimension, "the adapted embedding of tool \(tool.name)")
                adapted.append(vector)
            }
            return adapted
        }
        var adapted = try adaptedVectors()
        let adaptedBy = adapterVersion
        if !written.isEmpty { try await store.saveTools(written, model: embedder.modelIdentity) }  // durable first, in one transaction
        // The actor served other calls while the store wrote: if one swapped the adapter, the
        // index must not mix vectors of two adapters.
        if adapterVersion != adaptedBy { adapted = try adaptedVectors() }
        for (tool, vector) in entries {
            forgetSetAside(tool.name)
            catalog.upsert(tool, vector: vector)
            state.assignIntent(to: tool, vector: vector)
        }
        try index.upsert(zip(entries, adapted).map { (name: $0.tool.name, vector: $1) })
        try rebalanceIndexIfNeeded()
        try await catchUp()
    }

    /// Removes a tool (its events stay in the log), named in any Unicode normalization form.
    public func remove(_ name: String) async throws(GantryError) {
        let name = try Limits.toolName(name)
        // (A tool set aside is stored, not served: its new model could not embed it.)
        guard catalog.contains(name) || setAsideTools.contains(name) else { throw .unknownTool(name) }
        try await store.removeTool(name)
        try await catchUp()
    }

    /// The stored rows that failed validation when a store opened and were set aside, so that the
    /// rest opens: their table, key and reason (their content is kept in the store's `quarantine`
    /// table). In a read-only store, the rows this open left out.
    public func quarantinedRows() async throws(GantryError) -> [QuarantinedRow] {
        try await store.quarantinedRows() + setAside
    }

    // MARK: retrieval

    /// The best `limit` tools for `query`, each with its score breakdown, and the retrieval's
    /// id for reports of what the agent did with them (`recordSelection(retrieval:tool:context:)`).
    /// Runs on the caller's thread against the published snapshot (never waiting for a write);
    /// only a query that misses the query cache while the encoder is busy waits, for a pass shared
    /// with other retrievals (`GantryConfiguration.queryBatchLimit`). A
    /// `half_open` tool handed out counts as a probe in this process's memory only. With
    /// `GantryConfiguration.explorationRate`, two neighbouring tools below the first may trade
    /// places (recorded, for `train()` to measure position bias). The
    /// retrieval's record (`RetrievalRecord`) is queued to the store's writer, not awaited
    /// (`GantryConfiguration.recordsRetrievals`). A query that is empty or blank, over
    /// `Limits.queryBytes` or holds NUL is refused (`invalidInput`).
    public nonisolated func retrieveTools(_ query: String, limit: Int = 5,
                                          context: RoutingContext = RoutingContext()) async throws(GantryError) -> Retrieval {
        guard (1...100).contains(limit) else { throw .invalidInput("limit must be in 1...100, got \(limit)") }
        try Limits.checkQuery(query)
        let context = try Limits.normalized(context)
        let id = retrievalIDs.next()
        guard !published.current.catalog.isEmpty else { return Retrieval(id: id, matches: []) }
        let frozen = try await embedQuery(query)
        var matches = try rank(query, frozen: frozen, limit: limit, context: context, in: published.current)
        let swapped = keepsRetrievalRecords ? Exploration.swappedRank(for: id, count: matches.count, rate: configuration.explorationRate,
                                                            depth: configuration.explorationDepth) : nil
        if let swapped { matches.swapAt(swapped, swapped + 1) }
        record(id, text: query, frozen: frozen, matches: matches, swappedRank: swapped, context: context)
        return Retrieval(id: id, matches: matches)
    }

    /// How many of this process's retrieval records are kept in memory for reports made here
    /// (`RecentRetrievals`): at MiniLM's 384 dimensions about 1.7 kB each.
    static let recentRetrievalCapacity = 4_096

    nonisolated func rank(_ text: String, frozen: [Float], limit: Int, context: RoutingContext,
                          in snapshot: RoutingSnapshot) throws(GantryError) -> [ToolMatch] {
        let now = configuration.clock.now()
        let query = try snapshot.adapter.map { (a) throws(GantryError) in
            try adaptError { () throws(AdaptError) in try a.adaptQuery(frozen) }
        } ?? frozen
        let intent = snapshot.state.intent(of: frozen)
        let ranker = Ranker(configuration: configuration, catalog: snapshot.catalog, state: snapshot.state, index: snapshot.index,
                            lexicalWeight: snapshot.lexicalWeight, memoryReach: snapshot.memoryReach, links: snapshot.links, probes: local.probes,
                            blockedTools: snapshot.blockedTools)
        let matches = try ranker.rank(text: text, query: query, frozen: frozen, intent: intent, limit: limit, context: context, at: now)
        return local.handOut(matches, session: context.session, intent: intent?.name, state: snapshot.state)
    }

    /// Publishes the working state for retrievals (`published`), then starts the feedback
    /// memory's next graph if it wants one.
    func publish() {
        catalog.prepareForSearch()
        index.prepareForSearch()
        if lexicalWeight > 0, slotLinks?.isCurrent(catalog: catalog, index: index) != true { slotLinks = SlotLinks(catalog: catalog, index: index) }
        published.publish(RoutingSnapshot(catalog: catalog, index: index, adapter: adapter, adapterVersion: adapterVersion,
                                          lexicalWeight: lexicalWeight, memoryReach: memoryReach, links: lexicalWeight > 0 ? slotLinks : nil,
                                          state: state))
        buildMemoryGraphs()
    }

    /// The lexical share of hybrid retrieval this process serves: `configuration.lexicalWeight`,
    /// else the weight `train()` learned with the served adapter, else `ScoreFusion.priorWeight`.
    public nonisolated var servedLexicalWeight: Float {
        get async { published.current.lexicalWeight }
    }

    /// The lexical share served: the configuration's, else the one learned with the adapter,
    /// else the prior.
    var lexicalWeight: Float {
        configuration.lexicalWeight ?? adapterChoices.lexicalWeight ?? ScoreFusion.priorWeight
    }

    /// How far the feedback memory reaches in this process (the lowest cosine to a query with
    /// feedback that counts): `configuration.feedbackMemoryThreshold`, else the reach `train()`
    /// chose with the served adapter (`MemoryReachChoice`), else 0.6.
    public nonisolated var servedFeedbackMemoryThreshold: Float {
        get async { published.current.memoryReach }
    }

    /// The memory's reach served: the configuration's, else the one learned with the adapter,
    /// else the prior.
    var memoryReach: Float {
        configuration.feedbackMemoryThreshold ?? adapterChoices.memoryReach ?? FeedbackMemory.priorReach
    }

    // MARK: internals

    /// The frozen embedding of `text`, as a unit vector: from the query cache, else encoded
    /// on this thread.
    nonisolated func embed(_ text: String) throws(GantryError) -> [Float] {
        let key = QueryEmbeddingCache.Key(text)
        if let cached = queryCache.vector(for: key) { return cached }
        let vector = try Self.queryVectors(of: [text], by: embedder)[0]
        queryCache.insert(vector, for: key)
        return vector
    }

    /// A retrieval's frozen query embedding: from the query cache, else from the encoder's next
    /// pass, shared with the retrievals waiting for it (`queryBatcher`).
    nonisolated func embedQuery(_ text: String) async throws(GantryError) -> [Float] {
        let key = QueryEmbeddingCache.Key(text)
        if let cached = queryCache.vector(for: key) { return cached }
        let vector = try await queryBatcher.vector(for: text)
        queryCache.insert(vector, for: key)
        return vector
    }

    /// The embeddings of query texts, in one call of `embedder`, each checked and made a unit
    /// vector. MiniLM's vectors are unit already; this holds the contract for any embedder, so
    /// that the indexes can score by inner product and never normalize a query themselves.
    private static func queryVectors(of texts: [String], by embedder: any Embedder) throws(GantryError) -> [[Float]] {
        let matrix: Matrix
        do { matrix = try embedder.embed(texts) } catch { throw .embedding("\(error)") }
        guard matrix.rows == texts.count else {
            throw .embedding("the embedder returned \(matrix.rows) vectors for \(texts.count) query texts")
        }
        return try (0..<texts.count).map { (row) throws(GantryError) in
            var vector = Array(matrix.row(row))
            try Limits.checkVector(vector, dimension: embedder.dimension, "the query's embedding")
            do { try SIMDKernels.normalize(&vector) } catch { throw .embedding("the query's embedding: \(error)") }
            return vector
        }
    }

    /// How the query embedding cache has served since this gantry opened: a text asked again
    /// (a retrieval, or the feedback on it) is found there instead of encoded
    /// (`GantryConfiguration.queryCacheEntries`).
    public nonisolated var queryCacheStatistics: QueryCacheStatistics { queryCache.statistics }

    /// How retrievals' query texts have shared the encoder's passes since this gantry opened
    /// (`GantryConfiguration.queryBatchLimit`).
    public nonisolated var queryBatchStatistics: QueryBatchStatistics { queryBatcher.statistics }

    func adaptedToolVector(_ name: String, _ vector: [Float]) throws(GantryError) -> [Float] {
        try Self.adapt(vector, of: name, by: adapter)
    }

    private static func adapt(_ vector: [Float], of name: String, by adapter: LowRankAdapter?) throws(GantryError) -> [Float] {
        guard let adapter else { return vector }
        let matrix: Matrix
        do { matrix = try Matrix(rows: 1, cols: vector.count, values: vector) } catch { throw .invalidInput("\(error)") }
        return try adaptError { () throws(AdaptError) in Array(try adapter.adaptTools(matrix, ids: [name]).row(0)) }
    }

    /// Loads tools, adapter and breakers, and replays the event log into the learned state. Rows
    /// that fail validation (a damaged file, or written by a version that checked less) are
    /// moved to quarantine (`quarantinedRows()`), or in a read-only store left out.
    private func restore(prefetch: Task<ToolIndexCache.Prefetched?, Never>?) async throws(GantryError) {
        var damaged = [QuarantinedRow]()
        // The newest servable version whose file decodes; a damaged one is quarantined and the
        // next one tried; another model's adapter is not served (the frozen embeddings are, until
        // train()).
        for record in try await store.adapterVersions() where !record.isWithdrawn {
            do {
                adapter = try Self.decodeAdapter([UInt8](record.file!), model: embedder.modelIdentity)
                (adapterVersion, adapterChoices) = (record.version, record.learnedChoices)
            } catch .adapt(.incompatible) {
            } catch .adapt(.file(.unsupported)) {
                // A format version newer than this build reads (written by a newer build sharing
                // the store): not damaged, so not quarantined; as with another model's adapter,
                // the frozen embeddings are served.
            } catch {
                damaged.append(QuarantinedRow(table: "adapterVersion", key: record.version.map(String.init) ?? "?",
                                              reason: "its file does not decode: \(error)", at: Date(), rowid: record.version ?? -1))
                continue
            }
            break
        }
        // Changes stored from here on are applied again by the first catchUp() (tools and
        // adapters idempotently); events past the log read below are folded there.
        position = try await store.changePosition()
        let (tools, damagedTools) = try await store.tools(model: embedder.modelIdentity, dimension: embedder.dimension)
        damaged += damagedTools
        let (events, damagedEvents) = try await store.events()
        damaged += damagedEvents
        position.event = (events.map(\.id) + damagedEvents.compactMap(\.rowid)).max() ?? 0
        damaged += try await store.damagedAdapters()
        if !damaged.isEmpty {
            if store.isReadOnly {
                setAside = damaged
            } else {
                try await store.quarantine(damaged)
                position.deletions += Int64(damagedEvents.count)  // moved by this open, not deleted by another process
            }
        }
        var stale = [StoredTool]()
        catalog.reserveCapacity(tools.count)
        for stored in tools {
            if stored.model == embedder.modelIdentity, stored.vector.count == embedder.dimension {
                var vector = stored.vector
                // Unit, as register keeps them (rows of older versions were raw); a unit row is
                // kept as it is, not copied.
                if abs(SIMDKernels.norm(vector) - 1) > 1e-6 { try? SIMDKernels.normalize(&vector) }
                catalog.upsert(stored.tool, vector: vector)
                state.assignIntent(to: stored.tool, vector: vector)
            } else {
                stale.append(stored)  // embedded by another model: embed again (`ModelAdmission` allowed it)
            }
        }
        do {
            index = try adaptedIndex(by: adapter, prefetched: await prefetch?.value)
            if let adapter, let probe = catalog.anyEntry?.vector {
                _ = try adaptError { () throws(AdaptError) in try adapter.adaptQuery(probe) }  // query side too
            }
        } catch where adapter != nil {
            // An adapter whose file decodes but whose weights break the tools or the queries (huge
            // values): set aside like a damaged file, the frozen embeddings served.
            let reason = "its weights do not adapt the stored tools: \(error)"
            let row = QuarantinedRow(table: "adapterVersion", key: adapterVersion.map(String.init) ?? "?", reason: reason, at: Date(),
                                     rowid: adapterVersion ?? -1)
            if store.isReadOnly { setAside.append(row) } else { try await store.quarantine([row]) }
            (adapter, adapterVersion, adapterChoices) = (nil, nil, .init())
            try rebuildIndex()
        }
        if !stale.isEmpty { try await reembed(stale) }
        state = try LearnedState(replaying: events, records: try await linkedRecords(of: events), settings: state.settings, carryingOver: state)
    }

    /// Embeds again, with this embedder, the tools another model embedded. A tool it cannot
    /// embed (the embedder fails on it, or gives an invalid vector) is left as it is, not served,
    /// reported by `quarantinedRows()` and tried again at the next open — nothing is moved,
    /// since a failing embedder may be a service that is down. If it embeds none of them the
    /// open fails with its error.
    private func reembed(_ stale: [StoredTool]) async throws(GantryError) {
        do {
            try await register(stale.map(\.tool))
            return
        } catch .store(let reason) {
            throw .store(reason)
        } catch {}
        var failed = [(tool: String, error: GantryError)]()
        for stored in stale {
            do {
                try await register(stored.tool)
            } catch .store(let reason) {
                throw .store(reason)
            } catch {
                failed.append((stored.tool.name, error))
            }
        }
        // Embedding none while no tool is of this model yet: the embedder is down or wrong, and
        // serving an empty catalogue would hide that. Once some are (a partial upgrade), the
        // ones it cannot embed are set aside.
        if failed.count == stale.count, catalog.isEmpty, let first = failed.first {
            throw .embedding("\(embedder.modelIdentity) embeds none of the \(stale.count) tools another model embedded "
                             + "(\(first.tool): \(first.error)); they are kept as they are")
        }
        setAsideTools.formUnion(failed.map(\.tool))
        setAside += failed.map { failure in
            QuarantinedRow(table: "tool", key: failure.tool, reason: "\(embedder.modelIdentity) could not embed it again (\(failure.error)); "
                           + "kept as it was, not served, tried again at the next open", at: Date())
        }
    }

    /// Drops `name` from the tools set aside at open (registered again, or removed).
    func forgetSetAside(_ name: String) {
        guard setAsideTools.remove(name) != nil else { return }
        setAside.removeAll { $0.table == "tool" && $0.key == name && $0.rowid == nil }
    }

    func rebuildIndex() throws(GantryError) {
        index = try adaptedIndex(by: adapter)
    }

    /// A new index of the catalog's vectors adapted by `adapter` (flat or HNSW by catalog size),
    /// adapted in one matrix product and built in one batch. An HNSW graph is loaded from
    /// `indexCache` when one was saved for this model and adapter (an open passes the graph it
    /// `prefetched`, taken if its identity is the one needed), and reconciled with the catalogue
    /// (adapted block by block) unless more than a quarter of it differs; a graph built or
    /// changed here is saved there in the background, or before returning when `savedFirst` (a
    /// trainer saves the graph of its adapter before publishing the version, so processes that
    /// follow load it).
    func adaptedIndex(by adapter: LowRankAdapter?, savedFirst: Bool = false,
                      prefetched: ToolIndexCache.Prefetched? = nil) throws(GantryError) -> ToolIndex {
        let names = Array(catalog.names)
        let (catalog, dimension) = (catalog, embedder.dimension)
        func adapted(_ rows: Range<Int>) throws(GantryError) -> Matrix {
            let ids = Array(names[rows])
            var vectors: Matrix
            do { vectors = try Matrix(rowArrays: ids.map { catalog[$0]!.vector }, cols: dimension) } catch { throw .invalidInput("\(error)") }
            if let adapter { vectors = try adaptError { () throws(AdaptError) in try adapter.adaptTools(vectors, ids: ids) } }
            return vectors
        }
        let hnsw = catalog.count > configuration.flatIndexLimit
        guard hnsw, let indexCache else {
            return try ToolIndex(dimension: dimension, hnsw: hnsw, names: names, vectors: adapted(names.indices))
        }
        let identity = ToolIndexCache.identity(model: embedder.modelIdentity, adapter: adapter)
        func saved(_ index: ToolIndex) -> ToolIndex {
            guard let graph = index.graph else { return index }
            if savedFirst {
                indexCache.save(graph, identity: identity)
            } else {
                indexSave = indexCache.saveInBackground(graph, identity: identity) ?? indexSave
            }
            return index
        }
        if let graph = prefetched?.take(identity: identity) ?? indexCache.load(identity: identity, dimension: embedder.dimension) {
            var index = try ToolIndex(loaded: graph)
            if let changes = try? index.reconcile(names: names, vectors: adapted) {  // nil also when too unlike the catalogue
                indexOrigin = .loaded(changes: changes)
                guard changes > 0 else {
                    indexCache.markUsed(identity: identity)
                    return index
                }
                return saved(index)
            }
        }
        let index = try ToolIndex(dimension: dimension, hnsw: hnsw, names: names, vectors: adapted(names.indices))
        indexOrigin = .built
        return saved(index)
    }

    /// Serves the store's newest adapter version that is not withdrawn (the identity when there
    /// is none), with the index re-adapted, if it is not the one served already. After events
    /// were deleted: a version that saw them is never kept, so on any failure this serves the
    /// identity and throws.
    func serveCleanAdapter() async throws(GantryError) {
        do {
            guard try await store.servedAdapterVersion() != adapterVersion else { return }
            let record = try await store.servedAdapter()
            let model = embedder.modelIdentity
            let next = try record?.file.map { (file) throws(GantryError) in try Self.decodeAdapter([UInt8](file), model: model) }
            index = try adaptedIndex(by: next)
            (adapter, adapterVersion, adapterChoices) = (next, record?.version, record?.learnedChoices ?? .init())
        } catch {
            (adapter, adapterVersion, adapterChoices) = (nil, nil, .init())
            index = try adaptedIndex(by: nil)
            throw error
        }
    }

    func rebalanceIndexIfNeeded() throws(GantryError) {
        if index.isHNSW != (catalog.count > configuration.flatIndexLimit) { try rebuildIndex() }
    }

    static func decodeAdapter(_ bytes: [UInt8], model: String) throws(GantryError) -> LowRankAdapter {
        try adaptError { () throws(AdaptError) in try AdapterFile.decode(bytes, source: "the stored adapter", expectedModel: model).adapter }
    }
}

func adaptError<T>(_ body: () throws(AdaptError) -> T) throws(GantryError) -> T {
    do { return try body() } catch { throw .adapt(error) }
}
