import Foundation

/// One stored adapter version as `AgentGantry.adapterVersions()` lists it: what it was trained
/// on, and whether it was withdrawn because events it saw were deleted since (by
/// `forget(user:)` or `retentionDays`). The adapter served is the newest version not withdrawn.
public struct AdapterVersion: Sendable, Hashable {
    /// Increases with every adapter `train()` stores (`TrainingSummary.adapterVersion`).
    public var version: Int64
    /// When the `train()` that made it stored it (by the instance's `GantryClock`).
    public var trainedAt: Date
    /// The highest event id stored when its training read the log: it saw every feedback event
    /// up to this id that existed then.
    public var highestEventID: Int64
    /// How many feedback events it was trained on.
    public var trainedEvents: Int
    /// Ids of the feedback events it saw that were deleted since, in the order deleted.
    public var forgottenSince: [Int64]
    /// Whether its weights were deleted because it saw deleted events; it is never served again
    /// (the record stays as the audit trail).
    public var isWithdrawn: Bool
}
