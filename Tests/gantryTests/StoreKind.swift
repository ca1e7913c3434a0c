import Foundation

/// The stores the process tests run on: a SQLite file always, PostgreSQL when
/// `GANTRY_TEST_POSTGRES_URL` names a test server (`.ci/run` starts one).
enum StoreKind: String, Sendable, CustomStringConvertible {
    case sqlite, postgres

    static let postgresURL = ProcessInfo.processInfo.environment["GANTRY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// SQLite, and PostgreSQL when there is a server.
    static var available: [StoreKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var description: String { rawValue }
}

extension String {
    /// This PostgreSQL URL with `schema` first in its search path (the store creates the schema).
    func appendingSearchPath(_ schema: String) -> String {
        var components = URLComponents(string: self)!
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "options", value: "-c search_path=\(schema)")]
        return components.string!
    }
}
