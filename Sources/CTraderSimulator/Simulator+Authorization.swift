// swift-ctrader: the local cTrader-compatible simulator.

import Logging
import _CTraderLocking

extension Simulator {
    /// The OAuth authorization server, when ``Configuration/authorization`` asked for one.
    public var authorizationServer: SimulatorAuthorizationServer? {
        authorization.withLock { $0 }
    }

    /// Starts ``Configuration/authorization``'s server, if any; on failure stops the simulator.
    func startAuthorizationServer(logger: Logger) async throws {
        guard let settings = configuration.authorization else { return }
        do {
            let server = try await SimulatorAuthorizationServer.start(
                settings, applications: configuration.engine.identity.applications, core: core, logger: logger)
            authorization.withLock { $0 = server }
        } catch {
            await stop()
            throw error
        }
    }
}
