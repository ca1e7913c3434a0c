/// A (score, slot) pair in the search heaps.
struct ScoredSlot {
    var score: Float
    var slot: Int32
}
