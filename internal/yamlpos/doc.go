// Package yamlpos holds what every strict YAML decoder of drill shares:
// the positioned Problem (file:line:col: field: message), the list of them
// that is returned as one error so that users see every problem at once,
// and small helpers over go.yaml.in/yaml/v3 nodes.
package yamlpos
