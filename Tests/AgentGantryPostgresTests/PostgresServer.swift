import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server the tests run against: `GANTRY_TEST_POSTGRES_URL` names a role that may
/// create databases (`.ci/run` starts a private cluster and sets it). Without it, every test of
/// this target is skipped; `.ci/run` fails when any was.
enum PostgresServer {
    static let url = ProcessInfo.processInfo.environment["GANTRY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { url != nil }
    static let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A new, empty database for one test, dropped when `body` returns: its URL goes to `body`.
    static func withDatabase<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
        let name = "gantry_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
        do {
            let result = try await body(url(of: name))
            try await drop(name)
            return result
        } catch {
            try? await drop(name)
            throw error
        }
    }

    private static func drop(_ name: String) async throws {
        try await admin { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger) }
    }

    /// `url` with its database replaced by `database`.
    static func url(of database: String) -> String {
        var components = URLComponents(string: url!)!
        components.path = "/" + database
        return components.string!
    }

    /// Runs `body` on a connection to the server's database of `url`.
    static func admin(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await withConnection(to: url!, body)
    }

    /// Runs `body` on a new connection to the database of `url` (host, port, user, password
    /// and database only: the test server needs no more).
    static func withConnection(to url: String, _ body: (PostgresConnection) async throws -> Void) async throws {
        let components = URLComponents(string: url)!
        let configuration = PostgresConnection.Configuration(
            host: components.host ?? "localhost", port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: String(components.path.dropFirst()).isEmpty ? nil : String(components.path.dropFirst()),
            tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
