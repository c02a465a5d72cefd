// swift-ctrader: the local cTrader-compatible simulator.

/// The applications, tokens and trading accounts a simulator knows: who may connect and what they
/// may see. ``standard`` holds the built-in demo identity.
public struct SimulatorIdentity: Sendable, Hashable {
    /// An Open API application: the `clientId`/`clientSecret` pair of `ProtoOAApplicationAuthReq`.
    public struct Application: Sendable, Hashable {
        /// The application's client id.
        public var clientId: String
        /// The application's client secret.
        public var clientSecret: String
        /// Makes an application.
        public init(clientId: String, clientSecret: String) {
            self.clientId = clientId
            self.clientSecret = clientSecret
        }
    }

    /// An OAuth token pair granting access to some trading accounts.
    public struct Token: Sendable, Hashable {
        /// The access token of `ProtoOAAccountAuthReq` and `ProtoOAGetAccountListByAccessTokenReq`.
        public var accessToken: String
        /// The single-use refresh token of `ProtoOARefreshTokenReq`.
        public var refreshToken: String
        /// The accounts the token grants, by `ctidTraderAccountId`.
        public var accountIds: [Int64]
        /// The Unix time in milliseconds after which the access token is expired; `nil` for never.
        public var expiresAt: Int64?
        /// Whether the token has the "trade" scope (`SCOPE_TRADE`) or only "view".
        public var canTrade: Bool
        /// Makes a token.
        public init(
            accessToken: String, refreshToken: String, accountIds: [Int64], expiresAt: Int64? = nil,
            canTrade: Bool = true
        ) {
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.accountIds = accountIds
            self.expiresAt = expiresAt
            self.canTrade = canTrade
        }
    }

    /// A trading account.
    public struct Account: Sendable, Hashable {
        /// The account's `ctidTraderAccountId`.
        public var ctidTraderAccountId: Int64
        /// The login shown in cTrader.
        public var traderLogin: Int64
        /// Whether the account is live (`false`: demo).
        public var isLive: Bool
        /// Hedged (several positions per symbol) or netted (one position per symbol).
        public var isNetted: Bool
        /// The opening balance, in units of 10^-``moneyDigits`` of the deposit asset.
        public var balance: Int64
        /// The number of decimal digits of money amounts.
        public var moneyDigits: UInt32
        /// The deposit asset's id in the symbol catalogue (``SymbolCatalogue``); USD by default.
        public var depositAssetId: Int64
        /// The leverage in cents (10000 = 1:100).
        public var leverageInCents: UInt32
        /// The broker's short name.
        public var brokerName: String
        /// Makes an account.
        public init(
            ctidTraderAccountId: Int64,
            traderLogin: Int64,
            isLive: Bool = false,
            isNetted: Bool = false,
            balance: Int64 = 1_000_000,
            moneyDigits: UInt32 = 2,
            depositAssetId: Int64 = SymbolCatalogue.usd,
            leverageInCents: UInt32 = 10_000,
            brokerName: String = "Simulator"
        ) {
            self.ctidTraderAccountId = ctidTraderAccountId
            self.traderLogin = traderLogin
            self.isLive = isLive
            self.isNetted = isNetted
            self.balance = balance
            self.moneyDigits = moneyDigits
            self.depositAssetId = depositAssetId
            self.leverageInCents = leverageInCents
            self.brokerName = brokerName
        }
    }

    /// The applications allowed to connect.
    public var applications: [Application]
    /// The tokens issued.
    public var tokens: [Token]
    /// The trading accounts.
    public var accounts: [Account]

    /// Makes an identity.
    public init(applications: [Application], tokens: [Token], accounts: [Account]) {
        self.applications = applications
        self.tokens = tokens
        self.accounts = accounts
    }

    /// The demo client id of ``standard``.
    public static let demoClientId = "simulator-client-id"
    /// The demo client secret of ``standard``.
    public static let demoClientSecret = "simulator-client-secret"
    /// The demo access token of ``standard``, granting both demo accounts.
    public static let demoAccessToken = "simulator-access-token"
    /// The demo refresh token of ``standard``.
    public static let demoRefreshToken = "simulator-refresh-token"
    /// The hedged demo account of ``standard`` (trader login 5000001, 10 000.00 USD, 1:100).
    public static let demoHedgedAccountId: Int64 = 1_000_001
    /// The netted demo account of ``standard`` (trader login 5000002, 10 000.00 USD, 1:30).
    public static let demoNettedAccountId: Int64 = 1_000_002

    /// One application, one token holding two demo accounts (one hedged, one netted), and a second
    /// token holding the EUR demo account (``demoEURAccountId``).
    public static let standard = SimulatorIdentity(
        applications: [Application(clientId: demoClientId, clientSecret: demoClientSecret)],
        tokens: [
            Token(
                accessToken: demoAccessToken,
                refreshToken: demoRefreshToken,
                accountIds: [demoHedgedAccountId, demoNettedAccountId]
            ),
            Token(accessToken: demoEURAccessToken, refreshToken: demoEURRefreshToken, accountIds: [demoEURAccountId]),
        ],
        accounts: [
            Account(ctidTraderAccountId: demoHedgedAccountId, traderLogin: 5_000_001),
            Account(
                ctidTraderAccountId: demoNettedAccountId, traderLogin: 5_000_002, isNetted: true, leverageInCents: 3_000
            ),
            Account(ctidTraderAccountId: demoEURAccountId, traderLogin: 5_000_003, depositAssetId: demoEURAssetId),
        ]
    )

    /// The standard identity with other credentials: what a command line offers as options.
    ///
    /// - Parameters:
    ///   - clientId: The application's client id.
    ///   - clientSecret: The application's client secret.
    ///   - accessToken: The access token granting both demo accounts.
    ///   - refreshToken: Its refresh token.
    public static func demo(
        clientId: String = demoClientId,
        clientSecret: String = demoClientSecret,
        accessToken: String = demoAccessToken,
        refreshToken: String = demoRefreshToken
    ) -> SimulatorIdentity {
        var identity = standard
        identity.applications = [Application(clientId: clientId, clientSecret: clientSecret)]
        identity.tokens[0].accessToken = accessToken
        identity.tokens[0].refreshToken = refreshToken
        return identity
    }

    /// A hedged demo account whose deposit currency is EUR (asset 1 of ``SymbolCatalogue/standard``):
    /// trader login 5000003, 10 000.00 EUR, money digits 2, 1:100. Its PnL, commission, swap and
    /// margin are converted to EUR through the conversion chains (the Money article). It is granted
    /// by ``demoEURAccessToken``, not by ``demoAccessToken``, so the first token's account list is
    /// unchanged.
    public static let demoEURAccountId: Int64 = 1_000_003
    /// The EUR asset's id in ``SymbolCatalogue/standard``: the deposit asset of ``demoEURAccountId``.
    public static let demoEURAssetId: Int64 = 1
    /// The access token of ``standard`` granting ``demoEURAccountId``.
    public static let demoEURAccessToken = "simulator-eur-access-token"
    /// Its refresh token.
    public static let demoEURRefreshToken = "simulator-eur-refresh-token"
}
