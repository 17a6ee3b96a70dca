package dev.loombench.orders.webflux.order;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.webflux.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every request on one HTTP/1.1 keep-alive connection gets its answer, whatever mix of paths it is in.
 * <p>
 * The mix matters: a not-found order completes on r2dbc-postgresql's own event loop ({@code reactor-tcp-*}), not on
 * the connection's, so the client can send its next request before Reactor Netty has terminated the previous one;
 * that request is then buffered, and when it completes synchronously (a 400, a quote) Reactor Netty 1.3.6/1.3.7 drains
 * the buffer without re-arming the read, and the request after it was never read (reactor/reactor-netty#4361). The
 * client waited for an answer forever. Here the requests go one after the other over a single raw socket, as a
 * keep-alive client sends them; the socket's read timeout only turns such a hang into a failure, a passing run never
 * waits for it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KeepAliveConnectionTests {

    static final int REQUESTS = 300;

    /** Only bounds a failing run (a request that is never answered); not a latency limit. */
    static final Duration HANG_TIMEOUT = Duration.ofSeconds(15);

    /** not found (answered off the connection's event loop), then answers that complete synchronously on it. */
    static final List<Expected> MIX = List.of(
            new Expected("/orders/" + ContractFixtures.UNKNOWN_ORDER_ID, 404),
            new Expected("/orders/" + ContractFixtures.INVALID_ORDER_ID, 400),
            new Expected("/orders/0", 400),
            new Expected("/orders/" + ContractFixtures.FIXTURE_ORDER_ID, 200),
            new Expected("/quotes/1?rounds=10", 200),
            new Expected("/orders/" + ContractFixtures.UNKNOWN_ORDER_ID, 404),
            new Expected("/quotes/2?rounds=10", 200),
            new Expected("/orders/-5", 400),
            new Expected("/orders/99999999999999999999999", 400));

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @Test
    void everySequentialRequestOnOneKeepAliveConnectionIsAnswered() throws IOException {
        TestInfrastructure.insertFixtures(this.database);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5_000);
            socket.setSoTimeout((int) HANG_TIMEOUT.toMillis());
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < REQUESTS; i++) {
                Expected expected = MIX.get(i % MIX.size());
                out.write(("GET " + expected.path() + " HTTP/1.1\r\nHost: 127.0.0.1:" + this.port
                        + "\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                int status;
                try {
                    status = readResponse(in);
                }
                catch (SocketTimeoutException hang) {
                    fail("request %d of %d (GET %s) got no response within %s on a keep-alive connection", i + 1,
                            REQUESTS, expected.path(), HANG_TIMEOUT);
                    return;
                }
                assertThat(status).as("request %d: GET %s", i + 1, expected.path()).isEqualTo(expected.status());
            }
        }
    }

    /** Reads one response (status line, headers, Content-Length body) and returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        int contentLength = -1;
        String header;
        while (!(header = readLine(in)).isEmpty()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                contentLength = Integer.parseInt(lower.substring("content-length:".length()).trim());
            }
            assertThat(lower).as("the server keeps the connection open").isNotEqualTo("connection: close");
        }
        assertThat(contentLength).as("every answer has a Content-Length (%s)", statusLine).isGreaterThanOrEqualTo(0);
        byte[] body = in.readNBytes(contentLength);
        assertThat(body).as("a complete body (%s)", statusLine).hasSize(contentLength);
        return status;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed by the server mid-response");
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.US_ASCII);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    record Expected(String path, int status) {
    }
}
