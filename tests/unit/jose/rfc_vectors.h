/* Published JOSE test vectors shared by the jose unit tests, copied from RFC 7515 Appendix
 * A.1-A.3, RFC 7520 §3-4, RFC 7638 §3.1 and RFC 8037 Appendix A. Long values are split across
 * lines only. */
#ifndef TEST_JOSE_RFC_VECTORS_H
#define TEST_JOSE_RFC_VECTORS_H

// clang-format off

/* RFC 7515 A.1-A.3 share this payload (CR LF and all). */
#define RFC7515_PAYLOAD \
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
#define RFC7515_PAYLOAD_B64 \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl" \
    "fQ"

/* RFC 7515 A.1: HS256. */
#define RFC7515_A1_HEADER "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"
#define RFC7515_A1_K \
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
#define RFC7515_A1_JWK "{\"kty\":\"oct\",\"k\":\"" RFC7515_A1_K "\"}"
#define RFC7515_A1_TOKEN \
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64 \
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* RFC 7515 A.2: RS256 with the A.2.1 RSA key (2048 bits). */
#define RFC7515_A2_HEADER "{\"alg\":\"RS256\"}"
#define RFC7515_A2_N \
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4" \
    "d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5re" \
    "xMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX" \
    "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_D \
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXO" \
    "oAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51" \
    "gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3c" \
    "cPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"
#define RFC7515_A2_P \
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5P" \
    "JdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"
#define RFC7515_A2_Q \
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZ" \
    "D_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"
#define RFC7515_A2_DP \
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R" \
    "6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"
#define RFC7515_A2_DQ \
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0aja" \
    "HF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"
#define RFC7515_A2_QI \
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7Y" \
    "IBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"
#define RFC7515_A2_PRIVATE_JWK \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"," \
    "\"d\":\"" RFC7515_A2_D "\",\"p\":\"" RFC7515_A2_P "\",\"q\":\"" RFC7515_A2_Q "\"," \
    "\"dp\":\"" RFC7515_A2_DP "\",\"dq\":\"" RFC7515_A2_DQ "\",\"qi\":\"" RFC7515_A2_QI "\"}"
#define RFC7515_A2_PUBLIC_JWK "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}"
#define RFC7515_A2_SIG \
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5" \
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb" \
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO" \
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
#define RFC7515_A2_TOKEN "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64 "." RFC7515_A2_SIG

/* RFC 7515 A.3: ES256 (ECDSA is randomised, so the token is verified, not reproduced). */
#define RFC7515_A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define RFC7515_A3_PUBLIC_JWK \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}"
#define RFC7515_A3_PRIVATE_JWK \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"," \
    "\"d\":\"" RFC7515_A3_D "\"}"
#define RFC7515_A3_TOKEN \
    "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64 \
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

/* RFC 7638 §3.1: an RSA public key and its SHA-256 thumbprint. */
#define RFC7638_N \
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP" \
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY" \
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f" \
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7638_JWK \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"alg\":\"RS256\"," \
    "\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* RFC 8037 Appendix A: Ed25519 key (A.1, A.2), its thumbprint (A.3) and a signature (A.4). */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_PRIVATE_JWK \
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"" RFC8037_D "\",\"x\":\"" RFC8037_X "\"}"
#define RFC8037_PUBLIC_JWK "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_HEADER "{\"alg\":\"EdDSA\"}"
#define RFC8037_PAYLOAD "Example of Ed25519 signing"
#define RFC8037_TOKEN \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

/* RFC 7520 (Examples of Protecting Content Using JOSE), §3 keys and §4 signatures. Long values
 * are split exactly where the RFC's figures break their lines, so each piece can be held against
 * the RFC text. */

/* §4 Figure 7: the payload all §4 examples sign, 167 bytes of UTF-8. "\xe2\x80\x99" is U+2019
 * (right single quotation mark); the figure's line breaks are layout only (RFC 7520 §1.1) and are
 * not in the payload, as Figure 8, the authoritative base64url form, shows. */
#define RFC7520_PAYLOAD \
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your " \
    "door. You step onto the road, and if you don't keep your feet, " \
    "there\xe2\x80\x99s no knowing where you might be swept off " \
    "to."
/* §4 Figure 8. */
#define RFC7520_PAYLOAD_B64 \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"

/* §3.4 Figure 4: the RSA 2048-bit key "bilbo.baggins@hobbiton.example" (§4.1, §4.2); Figure 3 is
 * its public half. */
#define RFC7520_BILBO_KID "bilbo.baggins@hobbiton.example"
#define RFC7520_RSA_N \
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT" \
    "-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV" \
    "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-" \
    "oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde" \
    "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC" \
    "LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g" \
    "HdrNP5zw"
#define RFC7520_RSA_D \
    "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78e" \
    "iZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRld" \
    "Y7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-b" \
    "MwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU" \
    "6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDj" \
    "d18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOc" \
    "OpBrQzwQ"
#define RFC7520_RSA_P \
    "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nR" \
    "aO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmG" \
    "peNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8" \
    "bUq0k"
#define RFC7520_RSA_Q \
    "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT" \
    "8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7an" \
    "V5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0" \
    "s7pFc"
#define RFC7520_RSA_DP \
    "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q" \
    "1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn" \
    "-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX" \
    "59ehik"
#define RFC7520_RSA_DQ \
    "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pEr" \
    "AMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJK" \
    "bi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdK" \
    "T1cYF8"
#define RFC7520_RSA_QI \
    "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-N" \
    "ZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDh" \
    "jJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpP" \
    "z8aaI4"
#define RFC7520_RSA_PUBLIC_JWK \
    "{\"kty\":\"RSA\",\"kid\":\"" RFC7520_BILBO_KID "\",\"use\":\"sig\"," \
    "\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"}"
#define RFC7520_RSA_PRIVATE_JWK \
    "{\"kty\":\"RSA\",\"kid\":\"" RFC7520_BILBO_KID "\",\"use\":\"sig\"," \
    "\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\",\"d\":\"" RFC7520_RSA_D "\"," \
    "\"p\":\"" RFC7520_RSA_P "\",\"q\":\"" RFC7520_RSA_Q "\",\"dp\":\"" RFC7520_RSA_DP "\"," \
    "\"dq\":\"" RFC7520_RSA_DQ "\",\"qi\":\"" RFC7520_RSA_QI "\"}"

/* §3.5 Figure 5: the HS256 key (§4.4). */
#define RFC7520_HMAC_KID "018c0ae5-4d9b-471b-bfd6-eef314bc7037"
#define RFC7520_HMAC_K "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"
#define RFC7520_HMAC_JWK \
    "{\"kty\":\"oct\",\"kid\":\"" RFC7520_HMAC_KID "\",\"use\":\"sig\",\"alg\":\"HS256\"," \
    "\"k\":\"" RFC7520_HMAC_K "\"}"

/* §3.2 Figure 2: the EC P-521 key of §4.3 (a curve we do not support); Figure 1 is its public
 * half. */
#define RFC7520_EC_X \
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9" \
    "A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt"
#define RFC7520_EC_Y \
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy" \
    "SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"
#define RFC7520_EC_D \
    "AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zb" \
    "KipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt"
#define RFC7520_EC_PUBLIC_JWK \
    "{\"kty\":\"EC\",\"kid\":\"" RFC7520_BILBO_KID "\",\"use\":\"sig\",\"crv\":\"P-521\"," \
    "\"x\":\"" RFC7520_EC_X "\",\"y\":\"" RFC7520_EC_Y "\"}"
#define RFC7520_EC_PRIVATE_JWK \
    "{\"kty\":\"EC\",\"kid\":\"" RFC7520_BILBO_KID "\",\"use\":\"sig\",\"crv\":\"P-521\"," \
    "\"x\":\"" RFC7520_EC_X "\",\"y\":\"" RFC7520_EC_Y "\",\"d\":\"" RFC7520_EC_D "\"}"

/* §4.1 RS256 (RSASSA-PKCS1-v1_5, deterministic). The header is Figure 9 without the layout
 * whitespace, byte for byte what Figure 10 encodes. Figures 10, 12 and 13 follow. */
#define RFC7520_4_1_HEADER "{\"alg\":\"RS256\",\"kid\":\"" RFC7520_BILBO_KID "\"}"
#define RFC7520_4_1_HEADER_B64 \
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" \
    "hhbXBsZSJ9"
#define RFC7520_4_1_SIG \
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK" \
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J" \
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w" \
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP" \
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f" \
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg"
#define RFC7520_4_1_TOKEN \
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" \
    "hhbXBsZSJ9" \
    "." \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4" \
    "." \
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK" \
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J" \
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w" \
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP" \
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f" \
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg"

/* §4.2 PS384 (RSASSA-PSS, randomised), Figure 20: same key, an algorithm we do not support. */
#define RFC7520_4_2_TOKEN \
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" \
    "hhbXBsZSJ9" \
    "." \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4" \
    "." \
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I" \
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU" \
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX" \
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT" \
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a" \
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw"

/* §4.3 ES512 (ECDSA P-521, randomised), Figure 27: a curve and algorithm we do not support. */
#define RFC7520_4_3_TOKEN \
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" \
    "hhbXBsZSJ9" \
    "." \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4" \
    "." \
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb" \
    "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv" \
    "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2"

/* §4.4 HS256: header (Figure 30 without layout whitespace), Figures 31, 33 and 34. */
#define RFC7520_4_4_HEADER "{\"alg\":\"HS256\",\"kid\":\"" RFC7520_HMAC_KID "\"}"
#define RFC7520_4_4_HEADER_B64 \
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW" \
    "VlZjMxNGJjNzAzNyJ9"
#define RFC7520_4_4_SIG \
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"
#define RFC7520_4_4_TOKEN \
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW" \
    "VlZjMxNGJjNzAzNyJ9" \
    "." \
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" \
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" \
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" \
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4" \
    "." \
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"

// clang-format on

#endif
