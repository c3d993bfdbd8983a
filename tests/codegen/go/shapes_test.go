package shapes

// Copied into the Go SDK generated from tests/fixtures/schemas by test_go_sdk.py: unions,
// discriminators, recursion, enums and NullFields as a user of the SDK sees them.

import (
	"encoding/json"
	"testing"
)

func TestAUnionDecodesByItsDiscriminator(t *testing.T) {
	var shape Shape
	if err := json.Unmarshal([]byte(`{"kind": "square", "side": 3}`), &shape); err != nil {
		t.Fatal(err)
	}
	if shape.Discriminator() != string(SquareKindSquare) {
		t.Fatalf("discriminator %q", shape.Discriminator())
	}
	square, err := shape.AsSquare()
	if err != nil || square.Side != 3 {
		t.Fatalf("%+v %v", square, err)
	}
	made, err := ShapeOfCircle(Circle{Kind: CircleKindCircle, Radius: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(made)
	if string(data) != `{"kind":"circle","radius":1.5}` {
		t.Fatalf("%s", data)
	}
}

func TestRecursionNullAndUnsetStayApart(t *testing.T) {
	var node TreeNode
	body := `{"id": "node-abc01", "parent": null, "children": [{"id": "node-abc02", "children": []}]}`
	if err := json.Unmarshal([]byte(body), &node); err != nil {
		t.Fatal(err)
	}
	if node.Parent != nil || len(node.Children) != 1 || node.Children[0].ID != "node-abc02" {
		t.Fatalf("%+v", node)
	}
	event := Event{Name: "n", Level: func() *Level { l := LevelWarn; return &l }(), NullFields: []string{"Note"}}
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]interface{}
	_ = json.Unmarshal(data, &sent)
	if note, ok := sent["note"]; !ok || note != nil {
		t.Fatalf("note not sent as null: %s", data)
	}
	if _, ok := sent["related"]; ok {
		t.Fatalf("an unset field was sent: %s", data)
	}
	if sent["level"] != "warn" {
		t.Fatalf("level: %s", data)
	}
}
