

def test_login_and_home(client, login_as):
    login_as("admin")
    response = client.get("/")
    assert response.status_code == 200
