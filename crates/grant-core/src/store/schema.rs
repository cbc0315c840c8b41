// One table set for both backends, portable types only. Kept in step with
// migrations/{sqlite,postgres}; scripts/check-schema.sh diffs it against both.

diesel::table! {
    tenants (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        status -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Text,
        login -> Text,
        display_name -> Text,
        roles -> Text,
        created_at -> Timestamp,
        profile -> Nullable<Text>,
    }
}

diesel::table! {
    user_aliases (tenant_id, vendor, lookup_key) {
        tenant_id -> Text,
        vendor -> Text,
        lookup_key -> Text,
        alias -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    tenant_roles (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        description -> Text,
        role_type -> Text,
        scope -> Integer,
        community_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    clients (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        kind -> Text,
        name -> Text,
        enabled -> Bool,
        access_token_lifetime -> Integer,
        refresh_token_lifetime -> Integer,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        client_uri -> Nullable<Text>,
        logo_uri -> Nullable<Text>,
        tags -> Text,
        allowed_cors_origins -> Text,
        allow_offline_access -> Bool,
        allowed_scopes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        roles -> Text,
        allowed_identities -> Text,
        vendor -> Text,
        description -> Text,
        renewable -> Bool,
        grant_types -> Text,
        token_endpoint_auth_method -> Text,
        consent_required -> Bool,
    }
}

diesel::table! {
    scopes (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        display_name -> Text,
        description -> Text,
        restrictions -> Text,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        tenant_id -> Text,
        user_id -> Text,
        client_id -> Text,
        grant_type -> Text,
        status -> Text,
        source -> Text,
        issuer -> Text,
        scopes -> Text,
        attributes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        access_issued_at -> Nullable<Timestamp>,
        valid_for -> Nullable<BigInt>,
        created_by_id -> Nullable<Text>,
        created_by_type -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    grant_scopes (grant_id, scope) {
        grant_id -> Text,
        scope -> Text,
        consent_id -> Text,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        name -> Text,
        user_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        grant_id -> Nullable<Text>,
        digest -> Nullable<Binary>,
        password_hash -> Nullable<Text>,
        scopes -> Text,
        roles -> Text,
        status -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        faces -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        tenant_id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        target_kind -> Text,
        target_id -> Text,
        affected -> BigInt,
        detail -> Text,
    }
}

diesel::table! {
    client_counts (tenant_id, kind) {
        tenant_id -> Text,
        kind -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    client_tags (tenant_id, client_id, tag) {
        tenant_id -> Text,
        client_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    rate_limit_windows (tenant_id, bucket, window_start) {
        tenant_id -> Text,
        bucket -> Text,
        window_start -> BigInt,
        used -> BigInt,
    }
}

diesel::table! {
    authorization_servers (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        audience -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (tenant_id, server_id, kid) {
        tenant_id -> Text,
        server_id -> Text,
        kid -> Text,
        status -> Text,
        private_key -> Binary,
        modulus -> Text,
        exponent -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_sessions (digest) {
        digest -> Binary,
        tenant_id -> Text,
        user_id -> Text,
        kind -> Text,
        auth_time -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    token_families (id) {
        id -> Text,
        tenant_id -> Text,
        server_id -> Text,
        client_id -> Text,
        user_id -> Text,
        grant_id -> Nullable<Text>,
        scopes -> Text,
        auth_time -> Timestamp,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    authorization_codes (digest) {
        digest -> Binary,
        tenant_id -> Text,
        server_id -> Text,
        client_id -> Text,
        user_id -> Text,
        grant_id -> Nullable<Text>,
        redirect_uri -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        nonce -> Nullable<Text>,
        scopes -> Text,
        auth_time -> Timestamp,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        family_id -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (digest) {
        digest -> Binary,
        family_id -> Text,
        created_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        tenant_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(user_aliases -> users (user_id));
diesel::joinable!(grants -> users (user_id));
diesel::joinable!(grant_scopes -> grants (grant_id));
diesel::joinable!(refresh_tokens -> token_families (family_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    user_aliases,
    tenant_roles,
    clients,
    scopes,
    grants,
    grant_scopes,
    credentials,
    audit_log,
    client_counts,
    client_tags,
    rate_limit_windows,
    authorization_servers,
    signing_keys,
    login_sessions,
    token_families,
    authorization_codes,
    refresh_tokens,
    revoked_access_tokens,
);
