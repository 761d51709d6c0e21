#ifndef BAEDAL_CREDISTLS_SHIM_H
#define BAEDAL_CREDISTLS_SHIM_H
/*
 * TLS for the blocking hiredis connection (Debian's hiredis 0.14 has none; hiredis 1.x's
 * hiredis_ssl does the same with OpenSSL). hiredis still connects the socket, formats commands
 * into the context's output buffer and parses replies with its reader; these functions move the
 * bytes through an OpenSSL session on that socket instead of read(2) and write(2).
 *
 * Errors go where hiredis puts its own (context->err, context->errstr), so the caller reports
 * them the same way. The socket's SO_RCVTIMEO/SO_SNDTIMEO (redisSetTimeout) bound every read.
 */
#include <hiredis/hiredis.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The peer ended the session with a TLS alert (its refusal: a certificate it does not accept, a
 * protocol it does not speak): OpenSSL files a received alert under reason 1000 + its number. */
static inline int baedal_tls_is_alert(unsigned long code) {
    int reason = ERR_GET_REASON(code);
    return reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256;
}

/* A handshake or read error that says nothing about TLS: the connection ended (OpenSSL 3 files
 * an EOF without close_notify as an SSL error). */
static inline int baedal_tls_is_eof(unsigned long code) {
    return ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static inline void baedal_tls_error_text(const char *what, char *err, size_t errlen) {
    unsigned long code = ERR_peek_last_error();
    char reason[256] = "unknown error";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    snprintf(err, errlen, "%s: %s", what, reason);
    ERR_clear_error();
}

/* A client context trusting `ca` (PEM; the system's roots when NULL), presenting `cert` and
 * `key` when given (PEM). NULL with `err` filled when a file cannot be used. */
static inline SSL_CTX *baedal_tls_context(const char *ca, const char *cert, const char *key, char *err, size_t errlen) {
    /* A write to a socket the server has closed must fail with EPIPE, not end the process. */
    signal(SIGPIPE, SIG_IGN);
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) { baedal_tls_error_text("cannot make a TLS context", err, errlen); return NULL; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    if (ca != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
            char what[512]; snprintf(what, sizeof what, "cannot read the CA certificates in %s", ca);
            baedal_tls_error_text(what, err, errlen); SSL_CTX_free(ctx); return NULL;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        baedal_tls_error_text("cannot read the system's CA certificates", err, errlen); SSL_CTX_free(ctx); return NULL;
    }
    if (cert != NULL && SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        char what[512]; snprintf(what, sizeof what, "cannot read the client certificate %s", cert);
        baedal_tls_error_text(what, err, errlen); SSL_CTX_free(ctx); return NULL;
    }
    if (key != NULL) {
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
            char what[512]; snprintf(what, sizeof what, "cannot read the client key %s", key);
            baedal_tls_error_text(what, err, errlen); SSL_CTX_free(ctx); return NULL;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            baedal_tls_error_text("the client key does not match its certificate", err, errlen); SSL_CTX_free(ctx); return NULL;
        }
    }
    return ctx;
}

static inline void baedal_tls_context_free(SSL_CTX *ctx) { SSL_CTX_free(ctx); }

/* The TLS handshake on a connected blocking socket, checking that the server's certificate
 * chains to the context's CAs and names `host` (a DNS name, or an IP address when `is_ip`).
 * Returns the session, or NULL with `err` filled and *refused set to 1 when the server's TLS
 * was refused (an untrusted or misnamed certificate, no TLS at all), 0 when the connection
 * failed (closed, reset, timed out). */
static inline SSL *baedal_tls_handshake(SSL_CTX *ctx, int fd, const char *host, int is_ip, int *refused, char *err, size_t errlen) {
    ERR_clear_error();
    *refused = 0;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL) { baedal_tls_error_text("cannot make a TLS session", err, errlen); return NULL; }
    /* Every name check must be in place, or nothing is connected: a name that cannot be set
     * (an IPv6 zone, say) would otherwise leave any certificate of the CA accepted. */
    int named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
                      : (SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1);
    if (SSL_set_fd(ssl, fd) != 1 || named != 1) {
        *refused = 1;
        snprintf(err, errlen, "cannot check the server's certificate against '%s' (not a host name or IP address OpenSSL can match)", host);
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    errno = 0;
    int rc = SSL_connect(ssl);
    if (rc == 1) return ssl;
    int saved = errno;
    int kind = SSL_get_error(ssl, rc);
    long verified = SSL_get_verify_result(ssl);
    if (kind == SSL_ERROR_SSL && baedal_tls_is_eof(ERR_peek_last_error())) {
        snprintf(err, errlen, "the TLS handshake failed: the server closed the connection");
        ERR_clear_error();
    } else if (verified != X509_V_OK) {
        *refused = 1;
        snprintf(err, errlen, "the server's certificate is not trusted: %s", X509_verify_cert_error_string(verified));
        ERR_clear_error();
    } else if (kind == SSL_ERROR_SSL) {
        *refused = 1;
        baedal_tls_error_text("the TLS handshake failed (does the server speak TLS on this port?)", err, errlen);
    } else if (saved == EAGAIN || saved == EWOULDBLOCK) {
        snprintf(err, errlen, "the TLS handshake timed out (does the server speak TLS on this port?)");
        ERR_clear_error();
    } else {
        snprintf(err, errlen, "the TLS handshake failed: %s", saved != 0 ? strerror(saved) : "the server closed the connection");
        ERR_clear_error();
    }
    SSL_free(ssl);
    return NULL;
}

static inline void baedal_tls_free(SSL *ssl) { SSL_free(ssl); }

static inline int baedal_tls_fail(redisContext *c, SSL *ssl, int rc, const char *doing) {
    int saved = errno;
    int kind = SSL_get_error(ssl, rc);
    unsigned long code = ERR_peek_last_error();
    if (kind == SSL_ERROR_ZERO_RETURN || (kind == SSL_ERROR_SYSCALL && saved == 0) || (kind == SSL_ERROR_SSL && baedal_tls_is_eof(code))) {
        c->err = REDIS_ERR_EOF;
        snprintf(c->errstr, sizeof c->errstr, "Server closed the connection");
    } else if (kind == SSL_ERROR_SSL) {
        /* An alert at the first read is how TLS 1.3 tells a client its certificate was refused:
         * the text starts with BAEDAL_TLS_REFUSED so that the caller can tell it apart. */
        c->err = baedal_tls_is_alert(code) ? REDIS_ERR_OTHER : REDIS_ERR_IO;
        char reason[100] = "unknown";
        if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
        snprintf(c->errstr, sizeof c->errstr, "%s%s: %s", baedal_tls_is_alert(code) ? "TLS refused by the server, " : "TLS ", doing, reason);
    } else {
        c->err = REDIS_ERR_IO;
        snprintf(c->errstr, sizeof c->errstr, "%s", strerror(saved != 0 ? saved : EIO));
    }
    ERR_clear_error();
    return REDIS_ERR;
}

/* Sends the context's output buffer (the commands hiredis formatted) over TLS. */
static inline int baedal_tls_flush(redisContext *c, SSL *ssl) {
    size_t length = sdslen(c->obuf), done = 0;
    while (done < length) {
        size_t chunk = length - done > (1u << 30) ? (1u << 30) : length - done;
        errno = 0;
        ERR_clear_error();
        int written = SSL_write(ssl, c->obuf + done, (int)chunk);
        if (written <= 0) return baedal_tls_fail(c, ssl, written, "write");
        done += (size_t)written;
    }
    sdsfree(c->obuf);  /* as hiredis does: a big command's buffer is not kept */
    c->obuf = sdsempty();
    return c->obuf != NULL ? REDIS_OK : REDIS_ERR;
}

static inline int baedal_tls_reader_error(redisContext *c) {
    c->err = REDIS_ERR_PROTOCOL;
    snprintf(c->errstr, sizeof c->errstr, "%s", c->reader->errstr);
    return REDIS_ERR;
}

/* redisGetReply over TLS: flushes what is pending, then reads until the reader has a reply. */
static inline int baedal_tls_get_reply(redisContext *c, SSL *ssl, void **reply) {
    *reply = NULL;
    if (c->err) return REDIS_ERR;
    if (redisReaderGetReply(c->reader, reply) != REDIS_OK) return baedal_tls_reader_error(c);
    if (*reply != NULL) return REDIS_OK;
    if (sdslen(c->obuf) > 0 && baedal_tls_flush(c, ssl) != REDIS_OK) return REDIS_ERR;
    char buffer[16384];
    while (*reply == NULL) {
        errno = 0;
        ERR_clear_error();
        int received = SSL_read(ssl, buffer, sizeof buffer);
        if (received <= 0) return baedal_tls_fail(c, ssl, received, "read");
        if (redisReaderFeed(c->reader, buffer, (size_t)received) != REDIS_OK) return baedal_tls_reader_error(c);
        if (redisReaderGetReply(c->reader, reply) != REDIS_OK) return baedal_tls_reader_error(c);
    }
    return REDIS_OK;
}

/* For an idle connection whose socket has bytes to read: 1 when they end the session (the
 * server's close_notify, an error), 0 when they were TLS housekeeping (a TLS 1.3 session
 * ticket) and the session is open. Reads without blocking. */
static inline int baedal_tls_peer_closed(SSL *ssl, int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return 1;
    char byte;
    errno = 0;
    ERR_clear_error();
    int rc = SSL_peek(ssl, &byte, 1);
    int kind = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
    fcntl(fd, F_SETFL, flags);
    ERR_clear_error();
    if (rc > 0) return 0;  /* unread data: a protocol error for the next call to find, not an EOF */
    return kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE ? 0 : 1;
}
#endif
