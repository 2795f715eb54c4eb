package io.tollgate.ingest.format;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a body or a raw-topic record into the elements a parser sees: the items of a top-level array,
 * the single top-level object, or (where the format allows it) each value of newline-delimited JSON.
 */
public final class JsonBodies {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonBodies() {
    }

    /** One JSON object or an array of them. */
    public static List<JsonNode> objectOrArray(byte[] body) throws MalformedBodyException {
        return elements(body, false);
    }

    /** One JSON object, an array of them, or newline-delimited objects. */
    public static List<JsonNode> objectArrayOrLines(byte[] body) throws MalformedBodyException {
        return elements(body, true);
    }

    /** Exactly one JSON value that must be an array (CloudEvents batch mode). */
    public static List<JsonNode> array(byte[] body) throws MalformedBodyException {
        List<JsonNode> roots = roots(body);
        if (roots.size() != 1 || !roots.get(0).isArray()) {
            throw new MalformedBodyException("the body must be one JSON array");
        }
        return items(roots.get(0));
    }

    /** Exactly one JSON value that must be an object (CloudEvents structured mode). */
    public static List<JsonNode> object(byte[] body) throws MalformedBodyException {
        List<JsonNode> roots = roots(body);
        if (roots.size() != 1 || !roots.get(0).isObject()) {
            throw new MalformedBodyException("the body must be one JSON object");
        }
        return roots;
    }

    private static List<JsonNode> elements(byte[] body, boolean lines) throws MalformedBodyException {
        List<JsonNode> roots = roots(body);
        if (roots.size() == 1) {
            return roots.get(0).isArray() ? items(roots.get(0)) : roots;
        }
        if (!lines) {
            throw new MalformedBodyException("the body must be one JSON object or one array; found " + roots.size() + " top-level values");
        }
        for (JsonNode root : roots) {
            if (root.isArray()) {
                throw new MalformedBodyException("newline-delimited input must hold one JSON object per line, not arrays");
            }
        }
        return roots;
    }

    private static List<JsonNode> items(JsonNode array) {
        List<JsonNode> out = new ArrayList<>(array.size());
        array.forEach(out::add);
        return out;
    }

    private static List<JsonNode> roots(byte[] body) throws MalformedBodyException {
        List<JsonNode> roots = new ArrayList<>(1);
        try (JsonParser parser = JSON.createParser(body)) {
            while (parser.nextToken() != null) {
                roots.add(JSON.readTree(parser));
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new MalformedBodyException("not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedBodyException("not valid JSON: " + e.getMessage());
        }
        if (roots.isEmpty()) {
            throw new MalformedBodyException("the body is empty");
        }
        return roots;
    }
}
