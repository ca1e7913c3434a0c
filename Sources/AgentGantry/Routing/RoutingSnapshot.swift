import GantryAdapt
import Synchronization

/// Everything a retrieval reads, as one value: the catalogue, the adapted index, the adapter
/// that adapted it and the learned state. The actor publishes a new one after every change it
/// applies (`SnapshotCell`); retrievals read the one published when they start, on any thread,
/// never waiting for a write. Its parts are copy-on-write values whose large pieces later copies
/// share (`SegmentedIndex`), so publishing costs about what changed.
struct RoutingSnapshot: Sendable {
    let catalog: ToolCatalog
    let index: ToolIndex
    let adapter: LowRankAdapter?
    /// The stored version `adapter` was loaded from or saved as (nil with the identity).
    let adapterVersion: Int64?
    let state: LearnedState
    /// The lexical share of the first stage (`GantryConfiguration.lexicalWeight`, else the
    /// adapter's learned weight, else `ScoreFusion.priorWeight`).
    let lexicalWeight: Float
    /// The feedback memory's reach (`GantryConfiguration.feedbackMemoryThreshold`, else the
    /// adapter's learned reach, else `FeedbackMemory.priorReach`).
    let memoryReach: Float
    /// The slots of `catalog`'s lexical index and of `index` linked (nil at lexical weight 0).
    let links: SlotLinks?
    /// What this snapshot's retrievals may never get, worked out once for all of them.
    let blockedTools: BlockedTools

    init(catalog: ToolCatalog, index: ToolIndex, adapter: LowRankAdapter?, adapterVersion: Int64?, lexicalWeight: Float, memoryReach: Float,
         links: SlotLinks?, state: LearnedState) {
        self.catalog = catalog
        self.index = index
        self.adapter = adapter
        self.adapterVersion = adapterVersion
        self.lexicalWeight = lexicalWeight
        self.memoryReach = memoryReach
        self.links = links
        self.state = state
        blockedTools = BlockedTools(catalog: catalog, state: state)
    }
}

/// The published `RoutingSnapshot`, swapped whole under a lock held only to copy or replace it.
final class SnapshotCell: Sendable {
    private let cell: Mutex<RoutingSnapshot>

    init(_ snapshot: RoutingSnapshot) {
        cell = Mutex(snapshot)
    }

    /// The snapshot published last.
    var current: RoutingSnapshot { cell.withLock { $0 } }

    /// Publishes `snapshot`; the one it replaces is released after the lock (readers still
    /// holding it keep it until they finish).
    func publish(_ snapshot: RoutingSnapshot) {
        let replaced = cell.withLock { current in
            defer { current = snapshot }
            return current
        }
        _ = replaced
    }
}
