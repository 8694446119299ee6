// The ten methods most papers use, propose or compare with
MATCH (p:Paper)-[:USES|PROPOSES|COMPARES_WITH]->(m:Method)
RETURN m.name AS method, count(DISTINCT p) AS papers
ORDER BY papers DESC, method
LIMIT 10;
