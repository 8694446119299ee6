package kgtest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Starts a real Neo4j Community server (embedded) with only the Bolt connector, for tests.
 *
 * Usage: java -cp "target/classes:target/lib/*" kgtest.NeoServer PORT DATA_DIR [PASSWORD]
 *
 * With a PASSWORD, auth is on and user neo4j gets that password (no change required), so
 * wrong-password handling can be tested; without one, auth is off. Prints "READY bolt://..."
 * once Bolt accepts connections, and shuts down cleanly on stdin EOF, on a "stop" line, or on
 * SIGTERM (a shutdown hook), so a killed test run leaves a consistent store behind.
 */
public final class NeoServer {
    private NeoServer() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable e) { // the server's own threads would keep a failed start alive
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: NeoServer PORT DATA_DIR [PASSWORD]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path home = Path.of(args[1]).toAbsolutePath();
        String password = args.length > 2 ? args[2] : null;

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
                // tests try wrong passwords on purpose: no lock-out of the real user afterwards
                .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                // no 2 x 5 s grace for Bolt connections and threads at shutdown: a stop takes
                // 0.2 s instead of 10 s (tests stop servers on purpose, with nothing in flight)
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ZERO)
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ZERO);
        if (Boolean.getBoolean("kgtest.shortRun")) {
            // a server for one test run (-Dkgtest.shortRun=true, launcher.SHORT_RUN), which empties
            // and refills its database all the time: keep a query's first plan instead of planning
            // it again whenever the counts moved (plans never change results), a small page cache
            // and no preallocated transaction logs. The Neo4j tests' server used 84 s of CPU
            // without these, 69 s with them. Benchmarks (bench/neo4j_load.py) keep the defaults.
            builder.setConfig(GraphDatabaseSettings.cypher_min_replan_interval, Duration.ofHours(1))
                    .setConfig(GraphDatabaseSettings.query_statistics_divergence_threshold, 1.0)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, 64L * 1024 * 1024)
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false);
        }
        DatabaseManagementService dbms = builder.build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));

        if (password != null) {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            try {
                system.executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } catch (RuntimeException e) { // a restart on the same data: the password is already set
                if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                    throw e;
                }
            }
        }
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME); // wait until it is available
        System.out.println("READY bolt://127.0.0.1:" + port);
        System.out.flush();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().equals("stop")) {
                break;
            }
        }
        System.exit(0); // runs the shutdown hook
    }
}
