import GantryIndex

/// Unit vectors with a payload each, searched by inner product, kept in segments so that copies
/// share almost all of it: rows are appended to a small tail; a full tail is sealed, and sealed
/// segments are never written again except to update a payload (which copies that segment's
/// payloads only) or to merge eight of one size into one eight times larger (sizes 1,024, 8,192,
/// 65,536 …: each row is copied about log₈(n) times in all). A snapshot taken before an append
/// keeps reading what it had while the copy being written copies at most the tail.
struct SegmentedIndex<Payload: Sendable>: Sendable {
    /// Where a row is: its segment (`sealed.count` is the tail) and its row there.
    struct Location: Sendable, Hashable {
        var segment: Int
        var row: Int
    }

    struct Segment: Sendable {
        var index: FlatIndex
        var payloads: [Payload] = []
    }

    /// Rows in a sealed segment of the smallest size.
    static var tailRows: Int { 1024 }
    /// How many sealed segments of one size are merged into one.
    static var mergeFanIn: Int { 8 }

    let dimension: Int
    private(set) var sealed: [Segment] = []
    private(set) var tail: Segment
    /// Rows in all segments.
    private(set) var count = 0

    init(dimension: Int) throws(GantryError) {
        self.dimension = dimension
        tail = try Self.emptySegment(dimension: dimension)
    }

    private static func emptySegment(dimension: Int) throws(GantryError) -> Segment {
        do { return Segment(index: try FlatIndex(dimension: dimension, metric: .innerProduct)) } catch { throw .index(error) }
    }

    /// Appends a unit vector with its payload; returns where it went (valid until the next append).
    @discardableResult
    mutating func append(_ unit: [Float], _ payload: Payload) throws(GantryError) -> Location {
        let location = Location(segment: sealed.count, row: tail.payloads.count)
        do { try tail.index.add(unit, id: .number(Int64(location.row))) } catch { throw .index(error) }
        tail.payloads.append(payload)
        count += 1
        if tail.payloads.count == Self.tailRows {
            sealed.append(tail)
            tail = try Self.emptySegment(dimension: dimension)
            try mergeFullRuns()
        }
        return location
    }

    /// Merges the newest `mergeFanIn` sealed segments while they all have one size.
    private mutating func mergeFullRuns() throws(GantryError) {
        while sealed.count >= Self.mergeFanIn {
            let run = sealed[(sealed.count - Self.mergeFanIn)...]
            let size = run.first!.payloads.count
            guard run.allSatisfy({ $0.payloads.count == size }) else { return }
            var merged = try Self.emptySegment(dimension: dimension)
            for segment in run {
                for (row, payload) in segment.payloads.enumerated() {
                    let vector = segment.index.vector(of: .number(Int64(row)))!
                    do { try merged.index.add(vector, id: .number(Int64(merged.payloads.count))) } catch { throw .index(error) }
                    merged.payloads.append(payload)
                }
            }
            sealed.removeLast(Self.mergeFanIn)
            sealed.append(merged)
        }
    }

    /// The `k` rows of highest inner product with `q` (unit), best first.
    func search(_ q: [Float], k: Int) throws(GantryError) -> [(score: Float, location: Location)] {
        var hits = [(score: Float, location: Location)]()
        for number in 0...sealed.count {
            let segment = number == sealed.count ? tail : sealed[number]
            guard !segment.payloads.isEmpty else { continue }
            let results: [SearchResult]
            do { results = try segment.index.search(q, k: k) } catch { throw .index(error) }
            for result in results {
                guard case .number(let row) = result.id else { continue }
                hits.append((result.score, Location(segment: number, row: Int(row))))
            }
        }
        return Array(hits.sorted { $0.score > $1.score }.prefix(k))
    }

    /// Where the row appended `ordinal`-th (from 0) is now: merges keep rows in append order.
    func location(ofRow ordinal: Int) -> Location {
        var first = 0
        for (number, segment) in sealed.enumerated() {
            if ordinal < first + segment.payloads.count { return Location(segment: number, row: ordinal - first) }
            first += segment.payloads.count
        }
        return Location(segment: sealed.count, row: ordinal - first)
    }

    /// The unit vector at `location`.
    func vector(at location: Location) -> [Float] {
        let segment = location.segment == sealed.count ? tail : sealed[location.segment]
        return segment.index.vector(of: .number(Int64(location.row)))!
    }

    /// The payload at `location`.
    subscript(location: Location) -> Payload {
        get { location.segment == sealed.count ? tail.payloads[location.row] : sealed[location.segment].payloads[location.row] }
        set {
            if location.segment == sealed.count { tail.payloads[location.row] = newValue } else { sealed[location.segment].payloads[location.row] = newValue }
        }
    }
}
