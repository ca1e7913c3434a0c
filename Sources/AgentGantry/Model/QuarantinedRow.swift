import Foundation

/// A stored row that failed validation when a store opened (a tool whose definition or vector
/// is damaged, an event missing a field its kind needs, an adapter that does not decode). It was
/// moved to the store's `quarantine` table, with its content, so that the rest of the store
/// opens; `AgentGantry.quarantinedRows()` lists them.
public struct QuarantinedRow: Sendable, Hashable {
    /// The table the row came from: `tool`, `event` or `adapterVersion` (`breaker` in stores
    /// quarantined before breakers were folded from the log).
    public var table: String
    /// Its key there: the tool name, the event id or the adapter version.
    public var key: String
    /// What was wrong with it.
    public var reason: String
    /// When it was set aside.
    public var at: Date
    /// Where it is while not yet moved (its table's rowid, or the key a store moves it by).
    @_spi(StoreImplementation) public var rowid: Int64?

    /// A row description, as `quarantinedRows()` returns it.
    public init(table: String, key: String, reason: String, at: Date) {
        (self.table, self.key, self.reason, self.at) = (table, key, reason, at)
    }

    /// A row found damaged, not yet moved.
    @_spi(StoreImplementation) public init(table: String, key: String, reason: String, at: Date, rowid: Int64) {
        self.init(table: table, key: key, reason: reason, at: at)
        self.rowid = rowid
    }
}
