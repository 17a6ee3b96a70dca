package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Raw HTTP against the running app with a plain JDK client, outside Spring, so a test sees exactly the bytes and
 * headers a load generator sees: the contract is about exact bytes, so no client-side JSON handling. HTTP/1.1 only:
 * the JDK's default would first try an h2c upgrade.
 */
public record TestHttp(int port) {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    public HttpResponse<byte[]> get(String path) {
        return get(path, DEFAULT_TIMEOUT);
    }

    /** For requests that may legitimately wait longer than the default 30 s. */
    public HttpResponse<byte[]> get(String path, Duration timeout) {
        return send(request(path, timeout));
    }

    /** {@code POST} with a JSON content type and {@code body} as UTF-8 bytes, exactly as given. */
    public HttpResponse<byte[]> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path))
            .timeout(DEFAULT_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build());
    }

    public CompletableFuture<HttpResponse<byte[]>> getAsync(String path) {
        return getAsync(path, DEFAULT_TIMEOUT);
    }

    /** For requests that may legitimately wait longer than the default 30 s. */
    public CompletableFuture<HttpResponse<byte[]>> getAsync(String path, Duration timeout) {
        return CLIENT.sendAsync(request(path, timeout), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private HttpRequest request(String path, Duration timeout) {
        return HttpRequest.newBuilder(uri(path)).timeout(timeout).GET().build();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + this.port + path);
    }
}
