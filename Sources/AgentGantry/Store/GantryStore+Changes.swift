import GRDB

extension GantryStore {
    /// A counter that changes whenever another connection (another process) commits to the store
    /// (`PRAGMA data_version`); nil in memory, where there is no other.
    func changeCounter() throws(GantryError) -> Int? {
        guard path != nil else { return nil }
        return try read { try Int.fetchOne($0, sql: "PRAGMA data_version") }
    }
}
