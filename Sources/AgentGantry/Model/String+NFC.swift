import Foundation

extension String {
    /// The string in Unicode Normalization Form C, the one form in which the facade takes, stores
    /// and compares names: Swift's `==` treats `café` typed precomposed and decomposed as equal,
    /// but SQLite compares bytes, so a name kept in both forms would be two names on disk.
    /// Cost: a scan for ASCII text (already NFC), a normalisation otherwise; call it only on
    /// text whose length a limit has already bounded.
    var nfc: String {
        utf8.allSatisfy { $0 < 0x80 } ? self : precomposedStringWithCanonicalMapping
    }
}
