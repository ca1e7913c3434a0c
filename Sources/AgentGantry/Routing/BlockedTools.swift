import Foundation
import GantryIndex
import Synchronization

/// The tools a retrieval of one `RoutingSnapshot` may never get, worked out once and reused by
/// every retrieval of that snapshot until time changes it: deprecated tools and open breakers.
/// An open breaker turns `half_open` when its cool-down ends (the next such moment ends the
/// reuse); a `half_open` one is blocked or not by this process's probes, so those few are
/// checked per retrieval (`blocked(at:probes:)`). Without it, every retrieval looked at every
/// unclosed breaker and hashed every blocked name again (with a tenth of 10k tools failing, 12%
/// of an open-loop run's CPU).
final class BlockedTools: Sendable {
    private struct Entry {
        /// From when to when `open` holds.
        var from: Date
        var until: Date?
        /// Deprecated tools and open breakers.
        var open: Set<VectorID>
        /// The `half_open` breakers.
        var halfOpen: [String]
    }

    private let catalog: ToolCatalog
    private let state: LearnedState
    private let entry = Mutex<Entry?>(nil)

    init(catalog: ToolCatalog, state: LearnedState) {
        self.catalog = catalog
        self.state = state
    }

    /// The tools blocked at `now` for a process whose probes are `probes`.
    func blocked(at now: Date, probes: ProbeBudget) -> Set<VectorID> {
        let current = entry.withLock { (cached: inout Entry?) -> Entry in
            if let hit = cached, hit.from <= now, hit.until.map({ now < $0 }) ?? true { return hit }
            let breakers = state.unclosedBreakers(at: now)
            var open = Set(catalog.deprecated.map { VectorID.name($0) })
            for name in breakers.open { open.insert(.name(name)) }
            let fresh = Entry(from: now, until: breakers.changesAt, open: open, halfOpen: breakers.halfOpen)
            cached = fresh
            return fresh
        }
        let outOfProbes = current.halfOpen.filter { !state.probesAdmit($0, probes: probes) }
        guard !outOfProbes.isEmpty else { return current.open }
        return current.open.union(outOfProbes.map { .name($0) })
    }
}
