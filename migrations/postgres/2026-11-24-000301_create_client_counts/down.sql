DROP TABLE client_counts;
