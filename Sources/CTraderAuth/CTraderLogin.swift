// swift-ctrader: the cTrader Open API OAuth code flow.

public import CTraderSession
public import Logging

/// The whole code flow for an application of its own (the `ctrader login` command runs it): a
/// loopback receiver on the redirect URI, the authorization URL handed to `present` (print it,
/// open a browser), the code checked and exchanged, the pair saved in a token store.
public enum CTraderLogin {
    /// Runs the flow.
    ///
    /// - Parameters:
    ///   - client: the OAuth client; its redirect URI must be `http://` on loopback (port `0`
    ///     picks a free port; the authorization server must then accept any loopback port).
    ///   - scope: the scope to ask for.
    ///   - store: where the pair is saved (`CTraderFileTokenStore`: 0600, atomic); `nil`: not saved.
    ///   - timeout: how long to wait for the browser.
    ///   - limits: the receiver's limits.
    ///   - logger: gets `debug` and `trace` lines without a token, a code or the secret.
    ///   - present: gets the authorization URL once the receiver listens.
    ///   - beforeSave: runs between the exchange and the save (a test hook).
    /// - Returns: the tokens, saved when `store` is given.
    /// - Throws: ``CTraderOAuthError``, or `store`'s error.
    public static func run(
        client: CTraderOAuthClient,
        scope: CTraderOAuthScope,
        store: (any CTraderTokenStore)?,
        timeout: Duration = .seconds(300),
        limits: CTraderLoopbackReceiver.Limits = .init(),
        logger: Logger = Logger(label: "ctrader.oauth"),
        present: @Sendable (String) async -> Void,
        beforeSave: @Sendable () async -> Void = {}
    ) async throws -> CTraderOAuthTokens {
        let receiver = try await CTraderLoopbackReceiver.bind(
            redirectURI: client.configuration.redirectURI, limits: limits, logger: logger)
        let code: String
        do {
            let state = CTraderOAuthClient.makeState()
            await present(try client.authorizationURL(scope: scope, state: state, redirectURI: receiver.redirectURI))
            code = try await receiver.waitForCode(state: state, timeout: timeout)
            await receiver.close()
        } catch {
            await receiver.close()
            throw error
        }
        let tokens = try await client.exchange(code: code, redirectURI: receiver.redirectURI)
        logger.debug("OAuth: code exchanged", metadata: ["expiresIn": "\(tokens.pair.expiresIn)"])
        await beforeSave()
        try await store?.save(tokens.pair)
        return tokens
    }
}
