/*
 * Test-only launcher: N real Elasticsearch 7.10.2 nodes in one JVM, built on
 * org.codelibs:elasticsearch-cluster-runner:7.10.2.0 (Maven Central).
 *
 * Started and driven by tests/support/es_node.py; not meant to be run by hand.
 *
 * Arguments (all required):
 *   --base-path DIR            node homes/data/logs go to DIR/node_<n>
 *   --cluster-name NAME
 *   --http-ports P0,P1,...     one HTTP port per node (the node count is the list length)
 *   --transport-ports T0,T1,...
 *
 * Every node binds to 127.0.0.1 only. Node i (0-based) is named "node-i".
 *
 * Control protocol (one command per line on stdin, one answer line on stdout):
 *   stop I    close node I (0-based); the other nodes keep serving   -> "ES_RUNNER OK stop I"
 *   start I   restart a stopped node I on its old data and ports       -> "ES_RUNNER OK start I"
 *   status    "ES_RUNNER STATUS I=up|down ..."
 *   quit      close every node and exit 0
 * End of stdin (the Python parent went away) also closes every node and exits, so a killed
 * test run never leaves an orphaned JVM behind. Errors answer "ES_RUNNER ERR <message>".
 * After all nodes started, the launcher prints "ES_RUNNER READY <http urls>".
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;
import org.elasticsearch.node.Node;

public final class EsRunner {

    /*
     * Log4j configuration written into every node's config directory (the runner only copies its
     * own when none exists): one console appender, i.e. the JVM's stdout, which es_node.py sends
     * to a log file; the node name is cut out of the thread name
     * ("elasticsearch[node-1][search][T#2]" -> "node-1"); no per-node rolling files.
     */
    private static final String LOG4J2_PROPERTIES = String.join("\n",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%replace{%t}{^elasticsearch\\\\[([^\\\\]]*)\\\\].*$}{$1}][%c{1.}] %m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.console.ref = console",
            "");

    /*
     * The JVM's real stdout/stderr. Every node's LogConfigurator.configure() redirects
     * System.out/err into log4j ("stdout"/"stderr" loggers) and rebuilds the console appender
     * from whatever System.out is at that moment: from the second node on it would write into
     * the first node's redirect, and every later log line (and any protocol answer printed
     * with System.out) was silently lost. So the real streams are restored before each node
     * configures logging, and protocol answers always use the real stdout.
     */
    private static final PrintStream REAL_OUT = System.out;

    private static final PrintStream REAL_ERR = System.err;

    private EsRunner() {
    }

    private static int[] ports(final String csv) {
        final String[] parts = csv.split(",");
        final int[] result = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            result[i] = Integer.parseInt(parts[i].trim());
        }
        return result;
    }

    private static synchronized void say(final String line) {
        REAL_OUT.println("ES_RUNNER " + line);
        REAL_OUT.flush();
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        for (final String key : new String[] { "--base-path", "--cluster-name", "--http-ports", "--transport-ports" }) {
            if (!opts.containsKey(key)) {
                System.err.println("EsRunner: missing " + key);
                System.exit(2);
            }
        }
        final int[] httpPorts = ports(opts.get("--http-ports"));
        final int[] transportPorts = ports(opts.get("--transport-ports"));
        final int nodes = httpPorts.length;
        if (transportPorts.length != nodes) {
            System.err.println("EsRunner: --http-ports and --transport-ports differ in length");
            System.exit(2);
        }
        final List<String> names = new ArrayList<>();
        final List<String> seeds = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            names.add("node-" + i);
            seeds.add("127.0.0.1:" + transportPorts[i]);
        }

        for (int i = 0; i < nodes; i++) {
            // The runner's node directories are numbered from 1 and it keeps existing files.
            final Path conf = Paths.get(opts.get("--base-path"), "node_" + (i + 1), "config");
            Files.createDirectories(conf);
            Files.write(conf.resolve("log4j2.properties"), LOG4J2_PROPERTIES.getBytes(StandardCharsets.UTF_8));
        }

        final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
        // The runner numbers nodes from 1; we expose 0-based indexes.
        runner.onBuild((number, settings) -> {
            final int i = number - 1;
            System.setOut(REAL_OUT); // see REAL_OUT
            System.setErr(REAL_ERR);
            settings.put("node.name", names.get(i));
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", httpPorts[i]);
            settings.put("transport.port", transportPorts[i]);
            if (nodes == 1) {
                settings.put("discovery.type", "single-node");
            } else {
                settings.putList("discovery.seed_hosts", seeds);
                settings.putList("cluster.initial_master_nodes", names);
                // The runner starts nodes one after another on one thread; Node.start() would
                // otherwise block up to 30 s per node waiting for a master that needs the later
                // nodes to exist. The cluster forms once a quorum has started.
                settings.put("discovery.initial_state_timeout", "0s");
            }
            // Test machines often have fuller disks than the 85/90/95 % watermarks allow; the
            // flood-stage watermark would make every index read-only mid-test.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            settings.putList("node.roles", "master", "data", "ingest");
        });
        runner.setMaxHttpPort(-1); // use exactly the ports we were given (no probing)
        final Thread hook = new Thread(() -> closeQuietly(runner));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            runner.build(ElasticsearchClusterRunner.newConfigs()
                    .basePath(opts.get("--base-path"))
                    .numOfNode(nodes)
                    .baseHttpPort(httpPorts[0] - 1)
                    .clusterName(opts.get("--cluster-name"))
                    .printOnFailure());
        } catch (final Throwable t) {
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }

        final StringBuilder urls = new StringBuilder();
        for (int i = 0; i < nodes; i++) {
            urls.append(i == 0 ? "" : ",").append("http://127.0.0.1:").append(httpPorts[i]);
        }
        say("READY " + urls);

        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            final String[] cmd = line.trim().split("\\s+");
            if (cmd.length == 0 || cmd[0].isEmpty()) {
                continue;
            }
            try {
                switch (cmd[0]) {
                case "stop": {
                    final int i = Integer.parseInt(cmd[1]);
                    final Node node = runner.getNode(i);
                    if (node == null) {
                        say("ERR no node " + i);
                    } else if (node.isClosed()) {
                        say("ERR node " + i + " already stopped");
                    } else {
                        node.close();
                        say("OK stop " + i);
                    }
                    break;
                }
                case "start": {
                    final int i = Integer.parseInt(cmd[1]);
                    if (runner.startNode(i)) {
                        say("OK start " + i);
                    } else {
                        say("ERR could not start node " + i);
                    }
                    break;
                }
                case "status": {
                    final StringBuilder sb = new StringBuilder("STATUS");
                    for (int i = 0; i < runner.getNodeSize(); i++) {
                        sb.append(' ').append(i).append('=').append(runner.getNode(i).isClosed() ? "down" : "up");
                    }
                    say(sb.toString());
                    break;
                }
                case "quit":
                    closeQuietly(runner);
                    say("OK quit");
                    Runtime.getRuntime().halt(0);
                    break;
                default:
                    say("ERR unknown command " + cmd[0]);
                }
            } catch (final Exception e) {
                say("ERR " + e);
            }
        }
        // stdin closed: the parent is gone.
        closeQuietly(runner);
        Runtime.getRuntime().halt(0);
    }

    private static synchronized void closeQuietly(final ElasticsearchClusterRunner runner) {
        try {
            if (!runner.isClosed()) {
                runner.close();
            }
        } catch (final Exception e) {
            System.err.println("EsRunner: close failed: " + e);
        }
    }
}
