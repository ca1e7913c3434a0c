import Foundation
import GantryMath

extension AgentGantry {
    /// Brings this process in step with what other processes stored since it last looked: tools
    /// registered, changed or removed; feedback and executions (so corrections, health, breakers
    /// and preferences); events deleted by `forget(user:)` or retention (the learned state is
    /// replayed without them); and the adapter version to serve (the newest not withdrawn —
    /// published by a `train()` elsewhere or `gantry train --store`), swapped together with the
    /// re-adapted index, so every query is answered by one adapter. Runs every
    /// `configuration.followInterval` on its own, and at once when the store notifies a commit
    /// (PostgreSQL); call it to look at once: it sees every commit made before the call. Costs
    /// one `PRAGMA data_version` read of a SQLite store when nothing changed, and one query of
    /// its counters for PostgreSQL.
    public func followStore() async throws(GantryError) {
        guard let changes = try await store.changeCounter(), changes != followedChanges else { return }
        try await catchUp()
        followedChanges = changes  // only once applied: a failed catch-up is tried again at the next look
    }

    /// Applies everything stored past `position`, this process's writes included — every write
    /// of the facade ends here, so each process folds the same log in the same order — and
    /// publishes the result. One catch-up runs at a time, and a call is served by the first one
    /// that starts after it (which sees every write committed before the call): it waits for
    /// the one running, if any, then for the next — many writers finishing together share one
    /// read, and a steady stream of writes cannot starve a caller.
    func catchUp() async throws(GantryError) {
        let calledAfter = catchUpsStarted
        while true {
            let running: Task<Result<Void, GantryError>, Never>
            if let current = runningCatchUp {
                running = current
            } else {
                catchUpsStarted += 1
                running = Task { await self.catchUpOnce() }  // starts once this call suspends, after the line below
                runningCatchUp = running
            }
            let result = await running.value
            if catchUpsFinished > calledAfter { return try result.get() }
        }
    }

    /// Catches up unless this process has folded event `id` already (a catch-up under way, or
    /// one for another write, took it along).
    func caughtUp(through id: Int64) async throws(GantryError) {
        while position.event < id, let running = runningCatchUp { _ = await running.value }
        guard position.event < id else { return }
        try await catchUp()
    }

    /// One catch-up (`catchUp()`); the store is read without holding the actor. It clears
    /// `runningCatchUp` itself, on the actor, before its waiters resume.
    private func catchUpOnce() async -> Result<Void, GantryError> {
        defer { (runningCatchUp, catchUpsFinished) = (nil, catchUpsFinished + 1) }
        do { try await readAndApply() } catch { return .failure(error) }
        return .success(())
    }

    private func readAndApply() async throws(GantryError) {
        while true {  // one catch-up at a time (`catchUp()`): nothing moves `position` while this reads
            let changes = try await store.changes(after: position, model: embedder.modelIdentity, dimension: embedder.dimension, eventLimit: 10_000)
            do { try await apply(changes) } catch {
                publish()
                throw error
            }
            publish()
            if changes.isComplete { return }
        }
    }

    /// Applies one batch of `StoreChanges`: the catalogue first (the learned state does not
    /// depend on the order of catalogue changes and events), then the events, then the adapter.
    private func apply(_ changes: StoreChanges) async throws(GantryError) {
        let rows = Dictionary(changes.tools.map { ($0.tool.name, $0) }) { _, last in last }
        let names = changes.changedTools ?? Array(Set(catalog.names).union(rows.keys).union(setAsideTools))
        for name in names { try follow(name, row: rows[name]) }
        try rebalanceIndexIfNeeded()
        if changes.replay {  // events were deleted (`forget(user:)`, retention)
            queryCache.removeAll()  // it keeps no text, but the embeddings of the deleted events' queries
            recentRetrievals.removeAll()  // perhaps a forgotten user's
            state = try LearnedState(replaying: changes.events, records: try await linkedRecords(of: changes.events), settings: state.settings,
                                     carryingOver: state)
            position = changes.position
            try await serveCleanAdapter()
            return
        }
        let records = try await linkedRecords(of: changes.events)
        for event in changes.events {
            position.event = event.id  // past it even if it fails to fold: never folded twice
            try state.apply(event, record: event.retrieval.flatMap { records[$0] })
        }
        position = changes.position
        if changes.adapterChanged { try await serveCleanAdapter() }
    }

    /// Makes the catalogue's entry for `name` what the store holds: `row`, or no tool.
    private func follow(_ name: String, row: StoredTool?) throws(GantryError) {
        guard let row else {
            if setAsideTools.contains(name) { forgetSetAside(name) }
            guard catalog.contains(name) else { return }
            catalog.remove(name)
            state.removeTool(name)
            try index.remove(name)
            return
        }
        if let entry = catalog[name], entry.tool.fingerprint == row.tool.fingerprint { return }
        var vector: [Float]
        if row.model == embedder.modelIdentity, row.vector.count == embedder.dimension {
            vector = row.vector
            try? SIMDKernels.normalize(&vector)
        } else {
            // Stored by a process with another model (a fleet mid-way through a model change):
            // embedded here, for this process only.
            guard let embedded = try? embed(row.tool.embeddingText) else { return }
            vector = embedded
        }
        let adapted = try adaptedToolVector(name, vector)
        forgetSetAside(name)
        catalog.upsert(row.tool, vector: vector)
        state.assignIntent(to: row.tool, vector: vector)
        try index.upsert(name, adapted)
    }
}
