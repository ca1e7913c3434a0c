/// How an import of events is cut into transactions, so that other writers wait for one of them
/// at most: every store's `importEvents` writes in pieces of at most `events` events and about
/// `bytes` (one event more is never split).
@_spi(StoreImplementation) public enum ImportTransactions {
    /// The most events one import transaction writes.
    public static let events = 2_000
    /// About the most bytes one import transaction writes (query vectors and text).
    public static let bytes = 1 << 20

    /// `rows` cut into consecutive pieces of at most `events` rows and about `bytes`, as `size`
    /// counts a row's bytes.
    public static func cut<Row>(_ rows: [Row], size: (Row) -> Int) -> [ArraySlice<Row>] {
        var pieces = [ArraySlice<Row>](), start = 0, total = 0
        for (i, row) in rows.enumerated() {
            let bytes = size(row)
            if i > start, i - start == events || total + bytes > Self.bytes {
                pieces.append(rows[start..<i])
                (start, total) = (i, 0)
            }
            total += bytes
        }
        pieces.append(rows[start...])
        return pieces
    }
}
