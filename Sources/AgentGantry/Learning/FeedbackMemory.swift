import Foundation
import GantryIndex
import GantryMath

/// Past corrections, searchable by similarity: a new query close to a corrected one gets the
/// correct tool boosted and the wrong one penalised at once, before any retraining.
///
/// Entries are the frozen query embeddings (so retraining the adapter does not invalidate them)
/// in a `FlatIndex`. For a query q, each entry e with cos(q, e) ≥ `threshold` contributes
/// w = (cos − threshold)/(1 − threshold) · 2^(−age/halfLife): +w to its correct tool, −w to the
/// tool wrongly chosen. A tool's signal is clamp(own + otherTeamWeight · others) with both sums
/// clamped to [−1, 1] first: "own" holds the entries of the caller's team (all entries when the
/// caller or the entry has no team), "others" those of other teams. A correction helps every
/// team, and where teams disagree on the same request each team's own choice wins.
struct FeedbackMemory: Sendable {
    struct Settings: Sendable, Equatable, Codable {
        var threshold: Float = 0.6
        var halfLife: TimeInterval = 30 * 24 * 3600
        /// Entries consulted per query.
        var neighbors = 16
        /// How much another team's corrections count, relative to the caller's team's.
        var otherTeamWeight = 0.5
    }

    struct Entry: Sendable {
        var correct: String
        var wrong: String?
        var at: Date
        var team: String?
    }

    private(set) var index: FlatIndex
    private(set) var entries: [Int64: Entry] = [:]
    let settings: Settings

    init(dimension: Int, settings: Settings) throws(GantryError) {
        do { index = try FlatIndex(dimension: dimension, metric: .innerProduct) } catch { throw .index(error) }
        self.settings = settings
    }

    var count: Int { entries.count }

    /// Adds a correction; its query vector is normalized here, once.
    mutating func add(id: Int64, vector: [Float], entry: Entry) throws(GantryError) {
        var unit = vector
        do { try SIMDKernels.normalize(&unit) } catch { throw .invalidInput("feedback event \(id): its query vector is all zeros or not finite") }
        do { try index.add(unit, id: .number(id)) } catch { throw .index(error) }
        entries[id] = entry
    }

    /// Signals per tool for the frozen unit query vector `q` at time `now`, asked by `team`.
    func signals(for q: [Float], at now: Date, team: String?) throws(GantryError) -> [String: Double] {
        guard !entries.isEmpty else { return [:] }
        let hits: [SearchResult]
        do { hits = try index.search(q, k: settings.neighbors, filter: nil) } catch { throw .index(error) }
        var own = [String: Double](), others = [String: Double]()
        for hit in hits where hit.score >= settings.threshold {
            guard case .number(let id) = hit.id, let entry = entries[id] else { continue }
            let age = max(0, now.timeIntervalSince(entry.at))
            let weight = Double((hit.score - settings.threshold) / (1 - settings.threshold)) * pow(2, -age / settings.halfLife)
            let isOwn = team == nil || entry.team == nil || entry.team == team
            func add(_ tool: String, _ value: Double) {
                if isOwn { own[tool, default: 0] += value } else { others[tool, default: 0] += value }
            }
            add(entry.correct, weight)
            if let wrong = entry.wrong { add(wrong, -weight) }
        }
        func clamp(_ value: Double) -> Double { min(1, max(-1, value)) }
        return own.mapValues(clamp).merging(others.mapValues { settings.otherTeamWeight * clamp($0) }) { clamp($0 + $1) }
    }
}
