// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

public import CTraderMessaging

/// Takes the secrets out of envelopes before they are taped.
///
/// Redacted (replaced by ``marker``): the client secret of `ProtoOAApplicationAuthReq`; the access
/// token of `ProtoOAAccountAuthReq`, `ProtoOAGetAccountListByAccessTokenReq`, its answer
/// `ProtoOAGetAccountListByAccessTokenRes` (which echoes it) and `ProtoOAGetCtidProfileByTokenReq`; the refresh token of `ProtoOARefreshTokenReq`; both tokens of
/// `ProtoOARefreshTokenRes`. A replay treats a redacted field as matching anything.
public enum CTraderTapeRedaction {
    /// What a secret is replaced with: `<redacted>`.
    public static let marker = "<redacted>"

    /// The payload types whose envelopes carry a secret.
    public static let payloadTypes: Set<PayloadType> = [
        .protoOaApplicationAuthReq, .protoOaAccountAuthReq, .protoOaGetAccountsByAccessTokenReq,
        .protoOaGetAccountsByAccessTokenRes,
        .protoOaGetCtidProfileByTokenReq, .protoOaRefreshTokenReq, .protoOaRefreshTokenRes,
    ]

    /// The envelope with its secrets replaced by ``marker``; any other envelope as it is.
    public static func redacted(_ envelope: Envelope) -> Envelope {
        guard payloadTypes.contains(envelope.payloadType), let message = envelope.message else { return envelope }
        var copy = envelope
        switch message {
        case var auth as ProtoOAApplicationAuthReq:
            auth.clientSecret = marker
            copy.message = auth
        case var auth as ProtoOAAccountAuthReq:
            auth.accessToken = marker
            copy.message = auth
        case var list as ProtoOAGetAccountListByAccessTokenReq:
            list.accessToken = marker
            copy.message = list
        case var listed as ProtoOAGetAccountListByAccessTokenRes:
            listed.accessToken = marker
            copy.message = listed
        case var profile as ProtoOAGetCtidProfileByTokenReq:
            profile.accessToken = marker
            copy.message = profile
        case var refresh as ProtoOARefreshTokenReq:
            refresh.refreshToken = marker
            copy.message = refresh
        case var refreshed as ProtoOARefreshTokenRes:
            refreshed.accessToken = marker
            refreshed.refreshToken = marker
            copy.message = refreshed
        default:
            break
        }
        return copy
    }
}
