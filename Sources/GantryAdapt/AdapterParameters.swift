import GantryMath

/// The trainable parameters: the adapter factors (r × d each) and, optionally, one offset row
/// per catalog tool.
struct AdapterParameters: Sendable, Equatable {
    var up: Matrix
    var down: Matrix
    var offsets: Matrix?
}
