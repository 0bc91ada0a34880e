from bot.providers.bitscale.models import Column
from bot.slack.blocks.fields import grid_picker, output_checkboxes


def _columns(n: int) -> list[Column]:
    return [Column(id=f"c{i}", name=f"Column {i}") for i in range(n)]


def test_outputs_come_ten_to_a_group_all_ticked_by_default():
    blocks = [
        b.to_dict()
        for b in output_checkboxes(_columns(23), None, action_id="o", first_label="Outputs")
    ]
    assert [b["block_id"] for b in blocks] == ["out0", "out1", "out2"]
    assert [b["label"]["text"] for b in blocks] == ["Outputs", "More outputs", "More outputs"]
    assert [len(b["element"]["options"]) for b in blocks] == [10, 10, 3]
    assert len(blocks[0]["element"]["initial_options"]) == 10
    assert "dispatch_action" not in blocks[0]


def test_only_the_checked_outputs_are_ticked_and_none_ticked_means_no_initial_options():
    blocks = [
        b.to_dict()
        for b in output_checkboxes(
            _columns(12), ["c1", "c11"], action_id="o", first_label="Outputs"
        )
    ]
    assert [o["value"] for o in blocks[0]["element"]["initial_options"]] == ["c1"]
    assert [o["value"] for o in blocks[1]["element"]["initial_options"]] == ["c11"]
    none = output_checkboxes(_columns(2), [], action_id="o", first_label="Outputs")[0].to_dict()
    assert "initial_options" not in none["element"]


def test_the_grid_picker_searches_from_the_first_keystroke():
    block = grid_picker(dispatch_action=True).to_dict()
    assert block["block_id"] == "grid" and block["dispatch_action"] is True
    assert block["element"]["type"] == "external_select"
    assert block["element"]["min_query_length"] == 0
