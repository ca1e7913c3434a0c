import Foundation
import GantryStoreConformance
import Testing

@_spi(StoreImplementation) import AgentGantry

/// The SQLite store keeps the `GantryStore` contract: every case of the conformance suite, each
/// on a new file, with handles opened as other processes would open them.
@Suite("SQLite store conformance")
struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func sqliteStoreKeeps(_ promise: StoreConformanceCase) async throws {
        let folder = NSTemporaryDirectory() + "gantry-conformance-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/store.sqlite"
        try await promise.run(StoreFactory { try SQLiteStore(path: path) })
    }
}
