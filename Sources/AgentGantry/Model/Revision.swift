import Synchronization

/// Stamps for versions of values: each `next()` differs from every earlier one in the process,
/// so two versions with the same stamp are the same version — also across instances (a counter
/// per instance would repeat when an instance is replaced by a fresh one).
enum Revision {
    private static let counter = Atomic<Int>(0)

    /// A stamp never handed out before in this process.
    static func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
