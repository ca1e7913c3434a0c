import Foundation
import GRDB

/// A row of `adapterVersion`: one trained adapter and what it was trained on. A store keeps
/// the newest `versionsKept`; the one served is the newest that still has its file and saw no
/// forgotten event.
///
/// Later work extends this record (add a column by migration and bump `currentFormat`).
@_spi(StoreImplementation) public struct AdapterRecord: Sendable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "adapterVersion"
    /// The format of the record this code writes.
    public static let currentFormat = 1
    /// How many adapter versions a store keeps (the newest; older ones are deleted).
    public static let versionsKept = 3

    /// Increases with every adapter trained (nil until inserted).
    public var version: Int64?
    public var format = Self.currentFormat
    /// The adapter file's bytes (`AdapterFile`); nil once withdrawn because it saw forgotten events.
    public var file: Data?
    /// Unix seconds.
    public var trainedAt: Double
    /// The highest event id that existed when the adapter's training read the log: it was
    /// trained on the feedback events up to this id that were stored then.
    public var highestEventID: Int64
    /// How many feedback events it was trained on.
    public var trainedEvents: Int
    /// Ids up to `highestEventID` deleted after it was trained (by `forget(user:)` or retention):
    /// a version with any is withdrawn, its file deleted.
    public var forgottenSince: [Int64]
    /// The training report as JSON.
    public var report: String

    /// A new version's record (its version is assigned when it is stored).
    public init(file: [UInt8], trainedAt: Date, highestEventID: Int64, trainedEvents: Int, report: String) {
        self.file = Data(file)
        self.trainedAt = trainedAt.timeIntervalSince1970
        self.highestEventID = highestEventID
        self.trainedEvents = trainedEvents
        forgottenSince = []
        self.report = report
    }

    /// A stored version's record, as a store read it.
    public init(version: Int64, format: Int, file: Data?, trainedAt: Double, highestEventID: Int64, trainedEvents: Int,
                forgottenSince: [Int64], report: String) {
        (self.version, self.format, self.file, self.trainedAt) = (version, format, file, trainedAt)
        (self.highestEventID, self.trainedEvents, self.forgottenSince, self.report) = (highestEventID, trainedEvents, forgottenSince, report)
    }

    /// What `train()` chose with an adapter besides its weights, served with it.
    struct LearnedChoices: Sendable, Equatable {
        /// The lexical share of hybrid retrieval (`TrainingReport.lexicalWeight`; nil: the prior).
        var lexicalWeight: Float?
        /// The feedback memory's reach (`TrainingReport.memoryReach`, `MemoryReachChoice`; nil: the prior).
        var memoryReach: Float?
    }

    /// The choices `train()` made with this adapter, read from `report` in one pass; each nil when
    /// none was made, or the report does not hold a valid one (a damaged field leaves the other
    /// readable). Kept in the report rather than a column or the adapter file's format, which
    /// processes of earlier builds sharing the store could not read.
    var learnedChoices: LearnedChoices {
        struct Fields: Decodable {
            var lexicalWeight: Float?, memoryReach: Float?
            enum CodingKeys: CodingKey { case lexicalWeight, memoryReach }
            init(from decoder: any Decoder) throws {
                let fields = try decoder.container(keyedBy: CodingKeys.self)
                lexicalWeight = (try? fields.decodeIfPresent(Float.self, forKey: .lexicalWeight)) ?? nil
                memoryReach = (try? fields.decodeIfPresent(Float.self, forKey: .memoryReach)) ?? nil
            }
        }
        let fields = try? JSONDecoder().decode(Fields.self, from: Data(report.utf8))
        return LearnedChoices(lexicalWeight: fields?.lexicalWeight.flatMap { $0.isFinite && (0...1).contains($0) ? $0 : nil },
                              memoryReach: fields?.memoryReach.flatMap { $0.isFinite && $0 >= -1 && $0 < 1 ? $0 : nil })
    }

    /// The highest retrieval report id the training read (`RetrievalReport.id`), or nil when it
    /// learned from none: a version that learned from reports is withdrawn when `forget(user:)`
    /// deletes one of them (`withdraw(forgettingReportsFrom:)`). Kept in `report` for the same
    /// reason as the lexical weight.
    public var highestRetrievalReportID: Int64? {
        struct Field: Decodable { var highestRetrievalReportID: Int64? }
        return try? JSONDecoder().decode(Field.self, from: Data(report.utf8)).highestRetrievalReportID
    }

    /// Records in `report` that the training read the retrieval reports up to `id`.
    public mutating func noteRetrievalReports(upTo id: Int64) {
        var object = (try? JSONSerialization.jsonObject(with: Data(report.utf8))) as? [String: Any] ?? [:]
        object["highestRetrievalReportID"] = id
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) { report = String(decoding: data, as: UTF8.self) }
    }

    /// Withdraws this version if it learned from a report with an id from `lowest` on (reports of
    /// a forgotten user being deleted): its file is dropped. The report ids are not kept
    /// (`forgottenSince` holds event ids); the file's absence is what withdraws it.
    public mutating func withdraw(forgettingReportsFrom lowest: Int64) {
        guard let highest = highestRetrievalReportID, highest >= lowest else { return }
        file = nil
    }

    /// Whether this version was withdrawn: it saw events deleted since, and its file is gone.
    public var isWithdrawn: Bool { file == nil || !forgottenSince.isEmpty }

    /// Withdraws this version if it saw any of `deletedFeedbackIDs` (ids of feedback events being
    /// deleted): those at most `highestEventID` join `forgottenSince` and the file is dropped.
    public mutating func withdraw(forgetting deletedFeedbackIDs: [Int64]) {
        let seen = deletedFeedbackIDs.filter { $0 <= highestEventID }
        guard !seen.isEmpty else { return }
        forgottenSince += seen
        file = nil
    }

    /// The public view of this version.
    var view: AdapterVersion {
        AdapterVersion(version: version ?? 0, trainedAt: Date(timeIntervalSince1970: trainedAt), highestEventID: highestEventID,
                       trainedEvents: trainedEvents, forgottenSince: forgottenSince, isWithdrawn: isWithdrawn)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        version = inserted.rowID
    }
}
