// swift-ctrader: a token endpoint's errorCode and description name the cause.

import CTraderAuth
import Testing

@Suite struct CTraderOAuthErrorTests {
    @Test(arguments: [
        ("INVALID_CLIENT", "Invalid client credentials", false, CTraderOAuthError.Code.invalidClient),
        ("INVALID_REDIRECT_URI", "redirect_uri does not match", false, .redirectURIMismatch),
        ("INVALID_GRANT", "Authorization code is expired", false, .invalidGrant),
        ("INVALID_GRANT", "Refresh token is invalid or was already used", true, .invalidRefreshToken),
        ("ACCESS_DENIED", "The scope trading is not granted", false, .accessDenied),
        ("SOMETHING_ELSE", "Try later", false, .serverError),
    ])
    func classifies(errorCode: String, description: String, refreshing: Bool, expected: CTraderOAuthError.Code) {
        let error = CTraderOAuthError.classify(errorCode: errorCode, description: description, refreshing: refreshing)
        #expect(error.code == expected)
        #expect(error.serverErrorCode == errorCode)
    }
}
