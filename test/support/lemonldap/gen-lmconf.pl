#!/usr/bin/perl
# Writes the LemonLDAP::NG configuration (lmConf JSON) used by up.sh
# (test/support/lemonldap/, the gateway's own copy of the shared recipe).
#
# Usage: perl gen-lmconf.pl <state-dir>   (JSON goes to stdout)
#
# Everything comes from environment variables that up.sh exports (see the
# defaults there and in README.md). The RSA signing key for OIDC and the SAML
# key pairs (with self-signed certificates) are created on first use under
# <state-dir>/keys/ and reused afterwards, so tokens keep validating and the
# SAML metadata stays the same across restarts of the same state dir.
use strict;
use warnings;
use JSON;
use Crypt::OpenSSL::RSA;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);
use File::Path qw(make_path);

my $state = shift or die "usage: $0 <state-dir>\n";

sub env {
    my ( $name, $default ) = @_;
    my $v = $ENV{$name};
    return ( defined $v && length $v ) ? $v : $default;
}

my $host   = env( 'IDP_HOST', '127.0.0.1' );
my $port   = env( 'IDP_PORT', '8899' );
my $portal = "http://$host:$port/";
my $issuer = env( 'IDP_OIDC_ISSUER', "http://$host:$port" );

my $client_id     = env( 'IDP_OIDC_CLIENT_ID',     'jitsi-gw' );
my $client_secret = env( 'IDP_OIDC_CLIENT_SECRET', 'jitsi-gw-secret' );
my $redirect_uris =
  env( 'IDP_OIDC_REDIRECT_URIS', 'http://127.0.0.1:8080/auth/oidc/callback' );
my $post_logout_uris =
  env( 'IDP_OIDC_POST_LOGOUT_REDIRECT_URIS', 'http://127.0.0.1:8080/' );
my $require_pkce  = env( 'IDP_OIDC_REQUIRE_PKCE', '1' ) ? 1 : 0;
my $groups_always = env( 'IDP_OIDC_GROUPS_ALWAYS', '1' ) ? 1 : 0;
my $idt_claims    = env( 'IDP_OIDC_ID_TOKEN_CLAIMS', '1' ) ? 1 : 0;

my $cas_services = env( 'IDP_CAS_SERVICES', 'http://127.0.0.1:8080/' );
my $cas_policy   = env( 'IDP_CAS_ACCESS_CONTROL', 'none' );
die "IDP_CAS_ACCESS_CONTROL must be none, error or faketicket\n"
  unless $cas_policy =~ /^(none|error|faketicket)$/;

my $log_level = env( 'IDP_LOG_LEVEL', 'notice' );
my $cas_slo   = env( 'IDP_CAS_SLO', '0' ) ? 1 : 0;
my $force_authn_interval = env( 'IDP_FORCE_AUTHN_INTERVAL', '5' );
die "IDP_FORCE_AUTHN_INTERVAL must be a number of seconds\n"
  unless $force_authn_interval =~ /^[0-9]+$/;

# --- OIDC signing key (RS256), generated once per state dir -----------------
my $keydir  = "$state/keys";
my $keyfile = "$keydir/oidc-sig.key";
my $pubfile = "$keydir/oidc-sig.pub";
unless ( -s $keyfile && -s $pubfile ) {
    make_path( $keydir, { mode => 0700 } ) unless -d $keydir;
    my $rsa = Crypt::OpenSSL::RSA->generate_key(2048);
    my $old = umask 077;
    open my $k, '>', $keyfile or die "$keyfile: $!";
    print $k $rsa->get_private_key_string;
    close $k;
    open my $p, '>', $pubfile or die "$pubfile: $!";
    print $p $rsa->get_public_key_x509_string;
    close $p;
    umask $old;
}
sub slurp { local ( @ARGV, $/ ) = @_; return scalar <> }
my $priv = slurp($keyfile);
my $pub  = slurp($pubfile);

# --- SAML 2.0 identity provider ----------------------------------------------
# Keys: RSA 2048 + self-signed certificates (10 years), made once per state
# dir with the openssl CLI, like the OIDC key above. "sig" signs responses,
# assertions, logout messages and metadata-announced; "enc" is announced as
# the encryption key (SPs encrypt NameIDs/requests to it).
my $saml_on = env( 'IDP_SAML', '0' ) ? 1 : 0;

sub openssl_cert {
    my ( $base, $cn, $mode ) = @_;
    return if -s "$base.key" && -s "$base.crt";
    my $old = umask 077;
    # openssl writes progress dots to stderr: silence them
    open( my $saved, '>&', \*STDERR ) or die "dup stderr: $!";
    open( STDERR, '>', '/dev/null' ) or die "/dev/null: $!";
    my $rc = system( 'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
        '-sha256', '-days', '3650', '-subj', "/CN=$cn",
        '-keyout', "$base.key", '-out', "$base.crt" );
    open( STDERR, '>&', $saved ) or die "restore stderr: $!";
    $rc == 0 or die "openssl req failed for $base\n";
    umask $old;
    chmod $mode, "$base.key" if defined $mode;
    chmod 0644, "$base.crt";
}
sub pem_body {    # certificate without the BEGIN/END lines, one line
    my $pem = shift;
    $pem =~ s/-----(BEGIN|END) CERTIFICATE-----//g;
    $pem =~ s/\s+//g;
    return $pem;
}
sub xml_attr {
    my $v = shift;
    $v =~ s/&/&amp;/g; $v =~ s/</&lt;/g; $v =~ s/>/&gt;/g; $v =~ s/"/&quot;/g;
    return $v;
}

# SP metadata generated from a few URLs (when no metadata file is given)
sub sp_metadata {
    my (%o) = @_;
    my $keys = '';
    if ( $o{cert} ) {
        my $b = pem_body( $o{cert} );
        for my $use (qw(signing encryption)) {
            $keys .= qq{    <md:KeyDescriptor use="$use"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>$b</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n};
        }
    }
    my $slo = $o{slo}
      ? qq{    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="}
      . xml_attr( $o{slo} ) . qq{"/>\n}
      : '';
    my $signed = $o{signed} ? 'true' : 'false';
    return
        qq{<?xml version="1.0"?>\n}
      . qq{<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="}
      . xml_attr( $o{entity} ) . qq{">\n}
      . qq{  <md:SPSSODescriptor AuthnRequestsSigned="$signed" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n}
      . $keys . $slo
      . qq{    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n}
      . qq{    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\n}
      . qq{    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="}
      . xml_attr( $o{acs} ) . qq{" index="0" isDefault="true"/>\n}
      . qq{  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n};
}

my %saml_conf;
if ($saml_on) {
    openssl_cert( "$keydir/saml-sig", "$host:$port SAML signing" );
    openssl_cert( "$keydir/saml-enc", "$host:$port SAML encryption" );

    my $eppn_scope = env( 'IDP_SAML_EPPN_SCOPE', 'example.org' );
    my $names      = env( 'IDP_SAML_ATTRIBUTE_NAMES', 'basic' );
    die "IDP_SAML_ATTRIBUTE_NAMES must be basic or oid\n"
      unless $names =~ /^(basic|oid)$/;
    my $nameid = env( 'IDP_SAML_NAMEID_FORMAT', 'persistent' );
    die "IDP_SAML_NAMEID_FORMAT must be persistent, transient, email or unspecified\n"
      unless $nameid =~ /^(persistent|transient|email|unspecified)$/;
    my $encrypt = env( 'IDP_SAML_SP_ENCRYPT', 'none' );
    die "IDP_SAML_SP_ENCRYPT must be none, assertion or nameid\n"
      unless $encrypt =~ /^(none|assertion|nameid)$/;
    my $signed_req  = env( 'IDP_SAML_SP_SIGNED_REQUESTS', '0' ) ? 1 : 0;
    my $idp_init    = env( 'IDP_SAML_IDP_INITIATED',      '1' ) ? 1 : 0;
    my $lifetime    = env( 'IDP_SAML_ASSERTION_LIFETIME', '300' );
    my $sig_alg     = env( 'IDP_SAML_SIGNATURE_ALG', 'RSA_SHA256' );
    # (Lasso 2.8.1 pairs RSA_SHA512 with a sha384 digest that xml-crypto,
    # i.e. node-saml, cannot check: only SHA1 and SHA256 are offered)
    die "IDP_SAML_SIGNATURE_ALG must be RSA_SHA256 or RSA_SHA1\n"
      unless $sig_alg =~ /^RSA_SHA(1|256)$/;

    # session key => [ basic name, urn:oid name, friendly name in oid mode ]
    my %attr = (
        uid         => [ 'uid',  'urn:oid:0.9.2342.19200300.100.1.1', 'uid' ],
        mail        => [ 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'mail' ],
        cn          => [ 'cn',   'urn:oid:2.5.4.3',                   'cn' ],
        displayName => [ 'displayName', 'urn:oid:2.16.840.1.113730.3.1.241', 'displayName' ],
        eduPersonPrincipalName => [ 'eduPersonPrincipalName',
            'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', 'eduPersonPrincipalName' ],
        eduPersonAffiliation => [ 'eduPersonAffiliation',
            'urn:oid:1.3.6.1.4.1.5923.1.1.1.1', 'eduPersonAffiliation' ],
        groups => [ 'groups', 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', 'isMemberOf' ],
    );
    # LemonLDAP::NG format: "mandatory;name;name format;friendly name"
    my %exported = map {
        my ( $b, $o, $f ) = @{ $attr{$_} };
        $_ => ( $names eq 'oid'
            ? "0;$o;urn:oasis:names:tc:SAML:2.0:attrname-format:uri;$f"
            : "0;$b;urn:oasis:names:tc:SAML:2.0:attrname-format:basic;$b" )
    } keys %attr;
    # attributes the Demo backend does not have, computed per login (values
    # separated by "; " are sent as several AttributeValues)
    my %macros = (
        displayName            => '$cn',
        eduPersonPrincipalName => '$uid . \'@' . $eppn_scope . '\'',
        eduPersonAffiliation   =>
          q{$uid eq 'dwho' ? 'member; staff' : $uid eq 'rtyler' ? 'member; student' : 'affiliate'},
    );

    sub sp_options {
        my (%o) = @_;
        return {
            samlSPMetaDataOptionsNameIDFormat             => $o{nameid},
            samlSPMetaDataOptionsSignSSOMessage           => 1,
            samlSPMetaDataOptionsSignSLOMessage           => 1,
            samlSPMetaDataOptionsCheckSSOMessageSignature => $o{signed},
            samlSPMetaDataOptionsCheckSLOMessageSignature => $o{signed},
            samlSPMetaDataOptionsEncryptionMode           => $o{encrypt},
            samlSPMetaDataOptionsEnableIDPInitiatedURL    => $o{idp_init},
            samlSPMetaDataOptionsNotOnOrAfterTimeout      => $o{lifetime},
            samlSPMetaDataOptionsSessionNotOnOrAfterTimeout => 72000,
            samlSPMetaDataOptionsForceUTF8                => 1,
            samlSPMetaDataOptionsOneTimeUse               => 0,
            samlSPMetaDataOptionsSignatureMethod          => '',
            samlSPMetaDataOptionsRule                     => '',
        };
    }

    my ( %sp_xml, %sp_opts, %sp_attrs, %sp_macros );

    # 1. the SP under test: metadata file (up.sh downloads a metadata URL
    #    into such a file), or metadata generated from entityID/ACS/SLO URLs
    my $md_file = env( 'IDP_SAML_SP_METADATA_RESOLVED', '' );
    my $sp_md;
    if ($md_file) {
        $sp_md = slurp($md_file);
        $sp_md =~ s/^\s*<\?xml[^>]*\?>\s*//;    # Lasso wants no XML declaration twice
    }
    else {
        my $cert_file = env( 'IDP_SAML_SP_CERT_FILE', '' );
        $sp_md = sp_metadata(
            entity => env( 'IDP_SAML_SP_ENTITY_ID', 'http://127.0.0.1:8080/auth/saml/metadata' ),
            acs    => env( 'IDP_SAML_SP_ACS_URL',   'http://127.0.0.1:8080/auth/saml/callback' ),
            slo    => env( 'IDP_SAML_SP_SLO_URL',   'http://127.0.0.1:8080/auth/saml/logout' ),
            cert   => ( $cert_file ? slurp($cert_file) : '' ),
            signed => $signed_req,
        );
    }
    my $sp_key = 'jitsi-gw';    # spConfKey (IdP-initiated URL parameter)
    $sp_xml{$sp_key}    = { samlSPMetaDataXML => $sp_md };
    $sp_opts{$sp_key}   = sp_options(
        nameid => $nameid, signed => $signed_req, encrypt => $encrypt,
        idp_init => $idp_init, lifetime => $lifetime );
    $sp_attrs{$sp_key}  = {%exported};
    $sp_macros{$sp_key} = {%macros};

    %saml_conf = (
        issuerDBSAMLActivation => 1,
        issuerDBSAMLPath       => '^/saml/',
        issuerDBSAMLRule       => 1,
        samlEntityID           => env( 'IDP_SAML_ENTITY_ID', "http://$host:$port/saml/metadata" ),
        samlOrganizationName        => 'jitsi-gw test IdP',
        samlOrganizationDisplayName => 'jitsi-gw test IdP',
        samlOrganizationURL         => "http://$host:$port/",
        samlServicePrivateKeySig    => slurp("$keydir/saml-sig.key"),
        samlServicePrivateKeySigPwd => '',
        samlServicePublicKeySig     => slurp("$keydir/saml-sig.crt"),
        samlServicePrivateKeyEnc    => slurp("$keydir/saml-enc.key"),
        samlServicePrivateKeyEncPwd => '',
        samlServicePublicKeyEnc     => slurp("$keydir/saml-enc.crt"),
        samlServiceUseCertificateInResponse => 1,
        samlServiceSignatureMethod  => $sig_alg,
        samlIDPSSODescriptorWantAuthnRequestsSigned => $signed_req,
        samlMetadataForceUTF8       => 1,
        samlSPMetaDataXML                => \%sp_xml,
        samlSPMetaDataOptions            => \%sp_opts,
        samlSPMetaDataExportedAttributes => \%sp_attrs,
        samlSPMetaDataMacros             => \%sp_macros,
        samlIDPMetaDataXML               => {},
        samlIDPMetaDataOptions           => {},
        samlIDPMetaDataExportedAttributes => {},
        samlStorage        => '',
        samlRelayStateTimeout => 600,
    );
}

# kid: base64url(sha256(public key PEM)), truncated; stable for a given key
( my $kid = substr( encode_base64( sha256($pub), '' ), 0, 16 ) ) =~ tr{+/}{-_};

my $sessions = "$state/sessions";

my $cas_attrs = {
    uid    => 'uid',
    cn     => 'cn',
    mail   => 'mail',
    groups => 'groups',
};

my $conf = {
    cfgNum     => 1,
    cfgVersion => '2.16.1',
    cfgAuthor  => 'test/support/lemonldap/up.sh',
    cfgDate    => time,
    cfgLog     => 'generated by test/support/lemonldap/gen-lmconf.pl',

    # --- portal / SSO cookie ---------------------------------------------
    portal         => $portal,
    # SSO cookie domain: LLNG refuses to start without one and sends it as
    # "Domain=.<domain>" (leading dot added), e.g. Domain=.127.0.0.1
    domain         => env( 'IDP_COOKIE_DOMAIN', $host ),
    cookieName     => 'lemonldap',
    securedCookie  => 0,             # plain http on loopback
    httpOnly       => 1,
    https          => 0,
    portalSkin     => 'bootstrap',
    logLevel       => $log_level,
    timeout        => 72000,
    notification   => 0,
    loginHistoryEnabled => 0,
    portalDisplayRegister      => 0,
    portalDisplayResetPassword => 0,
    portalCheckLogins          => 0,
    trustedDomains             => '127.0.0.1 localhost',
    # anti-CSRF "token" hidden field on the login form (LLNG default: on)
    requireToken => ( env( 'IDP_REQUIRE_TOKEN', '1' ) ? '1' : '0' ),
    formTimeout  => 120,    # seconds a login-form token stays valid
    # CAS renew=true: re-authentication is only forced when the last one is
    # older than this, and only tickets issued within it pass renew=true
    # validation (LemonLDAP::NG default 5)
    portalForceAuthnInterval => $force_authn_interval + 0,

    # --- users: built-in Demo backend (dwho/dwho, rtyler/rtyler, msmith/msmith)
    authentication   => 'Demo',
    userDB           => 'Same',
    passwordDB       => 'Demo',
    registerDB       => 'Null',
    demoExportedVars => { uid => 'uid', cn => 'cn', mail => 'mail' },
    exportedVars     => {},
    whatToTrace      => 'uid',
    macros           => {},
    groups           => {},          # Demo backend sets "groups" itself

    # --- storage (everything under the state dir) ---------------------------
    globalStorage        => 'Apache::Session::File',
    globalStorageOptions => {
        Directory      => $sessions,
        LockDirectory  => "$sessions/lock",
        generateModule =>
          'Lemonldap::NG::Common::Apache::Session::Generate::SHA256',
    },
    persistentStorage        => 'Apache::Session::File',
    persistentStorageOptions => {
        Directory     => "$state/psessions",
        LockDirectory => "$state/psessions/lock",
    },
    localSessionStorage        => 'Cache::FileCache',
    localSessionStorageOptions => {
        namespace          => 'lemonldap-ng-sessions',
        default_expires_in => 600,
        directory_umask    => '007',
        cache_root         => "$state/cache",
        cache_depth        => 3,
    },

    # The portal is the only vhost; no protected applications.
    locationRules => { $host => { default => 'accept' } },
    exportedHeaders => {},
    applicationList => {},

    # --- CAS server ---------------------------------------------------------
    issuerDBCASActivation  => 1,
    issuerDBCASPath        => '^/cas/',
    issuerDBCASRule        => 1,
    casAttr                => 'uid',
    casAccessControlPolicy => $cas_policy,
    casAttributes          => $cas_attrs,
    # back-channel single logout: on logout, POST logoutRequest=<SAML
    # LogoutRequest with the ticket as SessionIndex> to every service URL
    # (exactly as given at login/validation) a ticket was validated for
    casBackChannelSingleLogout => $cas_slo,
    # outgoing requests (the SLO POSTs): short timeout, loopback only anyway
    lwpOpts => { timeout => 5 },
    casAppMetaDataOptions  => {
        'jitsi-gw' => {
            casAppMetaDataOptionsService     => $cas_services,
            casAppMetaDataOptionsUserAttribute => 'uid',
            casAppMetaDataOptionsRule        => '1',
        },
    },
    casAppMetaDataExportedVars => { 'jitsi-gw' => {%$cas_attrs} },
    casAppMetaDataMacros       => { 'jitsi-gw' => {} },

    # --- OpenID Connect provider --------------------------------------------
    issuerDBOpenIDConnectActivation       => 1,
    issuerDBOpenIDConnectPath             => '^/oauth2/',
    issuerDBOpenIDConnectRule             => 1,
    oidcServiceMetaDataIssuer             => $issuer,
    oidcServicePrivateKeySig              => $priv,
    oidcServicePublicKeySig               => $pub,
    oidcServiceKeyIdSig                   => $kid,
    oidcServiceAllowAuthorizationCodeFlow => 1,
    oidcServiceAllowImplicitFlow          => 0,
    oidcServiceAllowHybridFlow            => 0,
    oidcServiceAllowDynamicRegistration   => 0,
    oidcServiceIgnoreScopeForClaims       => 0,
    oidcRPMetaDataOptions                 => {
        'jitsi-gw' => {
            oidcRPMetaDataOptionsDisplayName            => 'Jitsi JWT gateway',
            oidcRPMetaDataOptionsClientID               => $client_id,
            oidcRPMetaDataOptionsClientSecret           => $client_secret,
            oidcRPMetaDataOptionsPublic                 => 0,
            oidcRPMetaDataOptionsRedirectUris           => $redirect_uris,
            oidcRPMetaDataOptionsPostLogoutRedirectUris => $post_logout_uris,
            oidcRPMetaDataOptionsIDTokenSignAlg         => 'RS256',
            oidcRPMetaDataOptionsUserInfoSignAlg        => '',
            # 1: name/email/groups/... also inside the id_token (not only userinfo)
            oidcRPMetaDataOptionsIDTokenForceClaims     => $idt_claims,
            oidcRPMetaDataOptionsBypassConsent          => 1,
            oidcRPMetaDataOptionsRequirePKCE            => $require_pkce,
            oidcRPMetaDataOptionsAccessTokenJWT         => 0,
            oidcRPMetaDataOptionsRefreshToken           => 0,
            oidcRPMetaDataOptionsUserIDAttr             => 'uid',
            oidcRPMetaDataOptionsIDTokenExpiration      => 3600,
            oidcRPMetaDataOptionsAccessTokenExpiration  => 3600,
            oidcRPMetaDataOptionsLogoutBypassConfirm    => 1,
        },
    },
    oidcRPMetaDataExportedVars => {
        'jitsi-gw' => {
            name               => 'cn',
            preferred_username => 'uid',
            nickname           => 'uid',
            email              => 'mail',
            groups             => 'groups;string;always',
        },
    },

    # extra scope "groups" releasing the "groups" claim
    oidcRPMetaDataOptionsExtraClaims => { 'jitsi-gw' => { groups => 'groups' } },

    # grant the "groups" scope even when the RP did not ask for it
    oidcRPMetaDataScopeRules =>
      { 'jitsi-gw' => ( $groups_always ? { groups => '1' } : {} ) },
    oidcRPMetaDataMacros => { 'jitsi-gw' => {} },

    # --- SAML 2.0 identity provider (IDP_SAML=1, see above) -----------------
    # LLNG's default cookie SameSite ('') means None as soon as the SAML issuer
    # is on; Chromium drops SameSite=None cookies without Secure (plain http
    # here), so pin it. Lax still lets HTTP-Redirect (GET) SAML flows keep SSO.
    ( $saml_on ? ( sameSite => env( 'IDP_COOKIE_SAMESITE', 'Lax' ) ) : () ),
    %saml_conf,
};

print JSON->new->pretty->canonical->encode($conf);
